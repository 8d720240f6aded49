"""The command-line additions: ``lamsim sweep --vary noise=KIND[:SIGMA],...``, ``lamsim run --batch``
and ``--idm`` (the judge, ``python -m reports claims``, is tested with the claims, tests/test_claims.py)."""
import json

import numpy as np
import pytest

from lamsim import load
from lamsim.__main__ import main
from lamsim.explore import parse_vary
from lamsim.linear import world

SMALL = ["--d-o", "16", "--d-a", "2", "--d-b", "2", "--d-z", "2", "--steps", "20"]


def test_noise_kind_and_scale_make_one_axis():
    axis = parse_vary("noise=none, iid:0.5,exo:2.0,exo")
    assert axis.name == "noise" and axis.values == ("none", "iid:0.5", "exo:2", "exo")
    assert axis.overrides == ({"noise": "none", "sigma": 0.0}, {"noise": "iid", "sigma": 0.5},
                              {"noise": "exo", "sigma": 2.0}, {"noise": "exo"})


@pytest.mark.slow
def test_sweep_over_noise_kinds_trains_each_kind(tmp_path, capsys):
    """Each coordinate trains its own noise: the PCA floor is the one of that kind and scale
    (d_o 16, d_a = d_b = d_z = 2): none 0; i.i.d. 0.5: the 14 smallest of the eigenvalues 1.25, 1.25,
    0.25, ... -> 14 * 0.25 / 16; other agents 2: the 14 smallest eigenvalues of X X^T + 4 Y Y^T."""
    assert main(["sweep", "--vary", "noise=none,iid:0.5,exo:2", *SMALL, "--out", str(tmp_path / "n")]) == 0
    r = load(tmp_path / "n")
    assert r.dims == ("noise", "seed") and list(r.coords["noise"]) == ["none", "iid:0.5", "exo:2"]
    env = world.environment_f64(0, 16, 2, 2)
    x, y = env["action_effect"], env["noise_map"]
    exo = np.sum(np.linalg.eigvalsh(x @ x.T + 4 * y @ y.T)[:14]) / 16
    np.testing.assert_allclose(r.arrays["pca_floor"][:, 0], [0.0, 14 * 0.25 / 16, exo], atol=1e-9)
    assert np.isnan(r.arrays["dy_ratio"][:2]).all() and np.isfinite(r.arrays["dy_ratio"][2]).all()
    assert r.meta["config"]["vary"] == ["noise=none,iid:0.5,exo:2"]
    assert json.loads(capsys.readouterr().out)["dims"] == ["noise", "seed"]


@pytest.mark.parametrize("spec, words", [
    ("noise=pink:1", "noise='pink:1' is invalid: must be KIND or KIND:SIGMA"),
    ("noise=none:1", "noise='none:1' is invalid: 'none' takes no scale"),
    ("noise=iid:x", "noise='x' is invalid: must be a number"),
    ("noise=iid:-1", "noise='iid:-1' is invalid: SIGMA must be a finite number >= 0"),
    ("noise=iid:0.5,iid:0.50", "values repeat"),
    ("noise=,", "no values"),
])
def test_bad_noise_values_are_one_line_errors(spec, words, tmp_path, capsys):
    assert main(["sweep", "--vary", spec, *SMALL, "--out", str(tmp_path / "n")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_run_takes_the_batch(capsys):
    """--batch reaches the Setting: with labels, the exact profile's action loss is weighted by
    1 - (1 - lambda)^batch (0.57 at batch 8, 1.0 at 128), so the trained model differs."""
    args = ["run", *SMALL, "--noise", "exo", "--sigma", "2", "--label-rate", "0.1"]
    assert main([*args, "--batch", "8"]) == 0
    small = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    default = json.loads(capsys.readouterr().out)
    assert small["settings"]["batch"] == 8 and default["settings"]["batch"] == 128
    assert small["mean"]["loss"] != pytest.approx(default["mean"]["loss"], rel=1e-4)
    assert main([*args, "--batch", "0"]) == 2
    assert "batch=0 is invalid: must be an integer >= 1" in capsys.readouterr().err


@pytest.mark.slow
def test_run_takes_the_idm_and_the_optimum(capsys):
    """--idm difference: z holds no o, so nMSE(o | z) is 1 exactly; --optimum adds its arrays."""
    assert main(["run", *SMALL, "--idm", "difference", "--latent", "true", "--optimum"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["idm"] == "difference"
    assert doc["mean"]["c_plus_d"] == 0.0
    assert doc["mean"]["optimum_llo"] == pytest.approx(doc["mean"]["theory_llo"], abs=1e-3)
    assert main(["run", *SMALL, "--idm", "half"]) == 2
    assert "idm='half' is invalid: must be one of full, difference" in capsys.readouterr().err
