"""The --distributed path run for real: two processes on this machine, the coordinator on localhost."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import chex
import pytest

from lamsim import load

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["-m", "experiments", "fig4_middle", "--quick", "--steps", "100", "--seeds", "2", "--profile", "fast"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(LAMSIM_HOST_DEVICES="1", **extra)
    return env


@pytest.mark.slow
def test_two_processes_give_one_process_arrays(tmp_path):
    address = f"127.0.0.1:{_free_port()}"
    procs = [subprocess.Popen([sys.executable, *COMMAND, "--out", str(tmp_path / "two"), "--distributed"], cwd=ROOT,
                              env=_env(JAX_COORDINATOR_ADDRESS=address, JAX_NUM_PROCESSES="2", JAX_PROCESS_ID=str(i)),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err
    one = subprocess.run([sys.executable, *COMMAND, "--out", str(tmp_path / "one")], cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr
    two, single = load(tmp_path / "two" / "fig4_middle"), load(tmp_path / "one" / "fig4_middle")
    assert (two.meta["environment"]["processes"], len(two.meta["environment"]["devices"])) == (2, 2)
    assert (single.meta["environment"]["processes"], len(single.meta["environment"]["devices"])) == (1, 1)
    metrics = ("llo", "loss", "a_minus_i", "c_plus_d")
    chex.assert_trees_all_close({m: two.arrays[m] for m in metrics}, {m: single.arrays[m] for m in metrics},
                                rtol=1e-4, atol=1e-5)
