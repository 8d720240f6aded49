import json
import subprocess
import sys

import pytest

METRIC_KEYS = {"llo", "nmse_action", "nmse_noise", "nmse_obs", "loss", "pca_floor", "theory_llo",
               "alignment", "a_minus_i", "c_plus_d", "dy_ratio", "llo_drift"}


def _cli(*args):
    """``python -m lamsim ARGS`` in a new process: the entry point itself."""
    return subprocess.run([sys.executable, "-m", "lamsim", *args], capture_output=True, text=True, timeout=300)


def _main(capsys, *args) -> dict:
    """The same ``main`` the command line runs, in this process (programs compiled here are shared
    with the other tests): its JSON on stdout, after exit status 0."""
    from lamsim.__main__ import main

    code = main(list(args))
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


@pytest.mark.slow
def test_run_prints_one_json_object_with_mean_and_per_seed():
    out = _cli("run", "--noise", "exo", "--sigma", "0.5", "--steps", "300", "--seeds", "2", "--seed", "4")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) >= {"settings", "wall_s", "mean", "per_seed"}
    assert set(doc["mean"]) == METRIC_KEYS == set(doc["per_seed"])
    assert len(doc["per_seed"]["llo"]) == 2 and doc["seeds"] == [4, 5]
    assert doc["settings"]["noise"] == "exo" and doc["settings"]["steps"] == 300
    assert doc["mean"]["dy_ratio"] is not None
    assert "config-steps" in out.stderr  # progress goes to stderr


@pytest.mark.slow
def test_run_without_other_agents_reports_null_dy_ratio(capsys):
    doc = _main(capsys, "run", "--steps", "50")
    assert doc["mean"]["dy_ratio"] is None and doc["per_seed"]["dy_ratio"] == [None]


@pytest.mark.slow
def test_run_echoes_the_probe_protocol(capsys):
    """--probe and --action-target reach the evaluation and the settings echo."""
    args = ("run", "--noise", "iid", "--sigma", "0.5", "--chi", "0.5", "--steps", "50")
    doc = _main(capsys, *args, "--probe", "policy-fit", "--action-target", "subspace")
    assert doc["settings"]["probe"] == "policy-fit" and doc["settings"]["action_target"] == "subspace"
    default = _main(capsys, *args)
    assert default["settings"]["probe"] == "interventional" and default["settings"]["action_target"] == "action"
    # The same trained model, read under another protocol (training does not depend on it).
    assert doc["mean"]["loss"] == default["mean"]["loss"]
    assert doc["mean"]["llo"] != default["mean"]["llo"]


@pytest.mark.parametrize("args, words", [
    (["--noise", "iid", "--sigma", "-1"], "sigma=-1.0 is invalid: must be >= 0"),
    (["--d-z", "200"], "d_z=200 is invalid: must be <= d_o=128"),
    (["--label-rate", "1.5"], "label_rate=1.5 is invalid: must lie in [0, 1]"),
    (["--noise", "pink"], "noise='pink' is invalid"),
    (["--ridge", "-1"], "ridge=-1.0 is invalid"),
    (["--probe", "policy"], "probe='policy' is invalid: must be one of interventional, policy-fit"),
    (["--action-target", "q"], "action_target='q' is invalid: must be one of action, subspace"),
])
def test_bad_input_is_a_clear_error(args, words, capsys):
    """In process (the same ``main`` the command line runs): exit status 2, the words on stderr, nothing on stdout."""
    from lamsim.__main__ import main

    try:
        code = main(["run", *args])
    except SystemExit as stop:  # argparse's own errors (a choice outside its list)
        code = stop.code
    out = capsys.readouterr()
    assert code == 2 and words in out.err and out.out == ""


@pytest.mark.slow
def test_bench_reports_throughput(capsys):
    doc = _main(capsys, "bench", "--configs", "4", "--steps", "200")
    assert {"sample", "exact", "exact_over_sample", "device", "jax_version"} <= set(doc)
    assert (doc["configs"], doc["steps"]) == (4, 200)
    rates = {}
    for trainer, profile in (("sample", "fast"), ("exact", "exact")):
        t = doc[trainer]
        assert t["profile"] == profile and t["compile_s"] > 0 and t["gflops"] > 0
        # The rate is the timed work over the timed seconds, not a number made up elsewhere.
        assert t["config_steps_per_s"] == pytest.approx(4 * 200 / t["run_s"], rel=1e-3)
        rates[trainer] = t["config_steps_per_s"]
    assert doc["exact_over_sample"] == pytest.approx(rates["exact"] / rates["sample"], abs=0.006)
    # No batch to draw or push through A: the exact step must be the cheaper one.
    assert rates["exact"] > rates["sample"]
