"""Sharding: the same sweep on 1 and 4 (forced) CPU devices gives the same arrays."""
import json
import os
import subprocess
import sys

import chex
import numpy as np
import pytest

SCRIPT = """
import json, sys
from lamsim.runtime.devices import use_all_host_cores
use_all_host_cores()
import jax
from lamsim import Axis, Setting, Sweep, run_sweep
sweep = Sweep("devices", Setting(noise="exo", d_o=32, steps=100), (Axis.of("sigma", [0.5, 2.0]), Axis.of("d_z", [4, 8])),
              seeds=2)
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


@pytest.mark.slow
def test_one_and_four_devices_agree_and_chunking_changes_nothing():
    one, four = _run(1), _run(4)
    assert (one["devices"], four["devices"]) == (1, 4)
    # On one device a 1-byte budget forces one chunk per setting (the sweep has 4).
    chunked = _run(1, budget=1)
    assert (one["chunks"], chunked["chunks"]) == (1, 4)
    metrics = ("llo", "loss", "alignment", "nmse_action")
    arrays = {name: {m: np.asarray(run[m]) for m in metrics} for name, run in
              (("one", one), ("four", four), ("chunked", chunked))}
    chex.assert_trees_all_close(arrays["four"], arrays["one"], rtol=1e-4, atol=1e-5)
    chex.assert_trees_all_close(arrays["chunked"], arrays["one"], rtol=1e-4, atol=1e-5)


def test_chunks_fit_the_cache_on_cpu_and_the_memory_budget_everywhere():
    from lamsim.linear.settings import Setting
    from lamsim.linear.train import bytes_per_run, group_shape
    from lamsim.linear.train import CPU_RUNS_PER_DEVICE, chunk_size

    shape = group_shape([Setting(d_z=16)])
    big = 2 ** 40
    # CPU: a few runs per device, a multiple of the device count.
    assert chunk_size(shape, 128, 3, big, 2, "cpu") == 4
    assert chunk_size(shape, 128, 5, big, 2, "cpu") == 2
    assert chunk_size(shape, 128, 1, big, 2, "cpu") == 2 * CPU_RUNS_PER_DEVICE
    # GPU: the whole group when memory allows, else what the budget holds (rounded to devices).
    assert chunk_size(shape, 128, 3, big, 1, "gpu") == 128
    assert chunk_size(shape, 128, 3, 10 * 3 * bytes_per_run(shape), 4, "gpu") == 12
    assert chunk_size(shape, 128, 3, 1, 2, "gpu") == 2
