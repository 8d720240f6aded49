"""The data stream's normals: the counter hash (default) and jax.random give the same verdicts."""
import dataclasses

import numpy as np
import pytest

from experiments import fig4_middle
from experiments.runner import run_experiment
from lamsim import load
from reports import claims


@pytest.mark.slow
def test_one_panels_verdicts_are_the_same_under_both_generators(tmp_path):
    """Fig 4 middle's reduced grid at the fast profile (sampled batches), once per
    generator: claim C6 gets the same verdict on every check, and the LLO agrees
    within what seeds move it."""
    found, llo = {}, {}
    for stream in ("hash", "jax"):
        exp = dataclasses.replace(fig4_middle.EXPERIMENT, base=fig4_middle.EXPERIMENT.base.replace(stream=stream))
        out = tmp_path / stream
        run_experiment(exp, profile="fast", quick=True, seeds=2, out=out)
        result = load(out / "fig4_middle")
        assert result.meta["config"]["base"]["stream"] == stream
        found[stream] = claims.judge(claims.CLAIMS[5], {"fig4_middle": result})
        llo[stream] = result.arrays["llo"].mean(axis=-1)
    assert claims.CLAIMS[5].id == "C6"
    assert [c.holds for c in found["hash"].checks] == [c.holds for c in found["jax"].checks]
    assert found["hash"].verdict == found["jax"].verdict == "holds"
    np.testing.assert_allclose(llo["hash"], llo["jax"], atol=0.03)
