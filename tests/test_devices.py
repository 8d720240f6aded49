"""Sharding: the same sweep on 1 and 4 (forced) CPU devices gives the same arrays."""
import json
import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import json, sys
from lamsim.devices import use_all_host_cores
use_all_host_cores()
import jax
from experiments.fig3_right import EXPERIMENT
from lamsim.sweep import run_sweep
sweep = EXPERIMENT.sweep("fast", 2, quick=True)
r = run_sweep(sweep, memory_budget=int(sys.argv[1]))
print(json.dumps({"devices": jax.device_count(), "chunks": r.meta["chunks"],
                  **{m: r.arrays[m].tolist() for m in ("llo", "loss", "alignment", "nmse_action")}}))
"""


def _run(devices: int, budget: int = 2 ** 32) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env["LAMSIM_HOST_DEVICES"] = str(devices)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(budget)], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_one_and_four_devices_agree_and_chunking_changes_nothing():
    one, four = _run(1), _run(4)
    assert (one["devices"], four["devices"]) == (1, 4)
    # On one device a 1-byte budget forces one chunk per setting (the quick panel has 4).
    chunked = _run(1, budget=1)
    assert (one["chunks"], chunked["chunks"]) == (1, 4)
    for m in ("llo", "loss", "alignment", "nmse_action"):
        np.testing.assert_allclose(four[m], one[m], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(chunked[m], one[m], rtol=1e-4, atol=1e-5)
