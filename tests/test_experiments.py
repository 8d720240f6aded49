"""Every panel with --quick into a temporary folder: shapes, dims, coordinates, one theory number."""
import chex
import numpy as np
import pytest

from experiments import NAMES, PANELS, TABLES
from experiments.__main__ import main, run
from lamsim import METRICS, ResultsError, load
from lamsim.runtime.results import select

SMOKE_STEPS = 300

DIMS = {
    "fig3_left": ("d_a", "d_z", "seed"), "fig3_middle": ("sigma", "d_z", "action_target", "seed"),
    "fig3_right": ("sigma", "d_z", "seed"), "fig4_left": ("chi", "d_z", "noise", "probe", "seed"),
    "fig4_middle": ("kappa", "sigma", "seed"), "fig4_right": ("sigma", "d_z", "label_rate", "seed"),
}


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    for name in PANELS:
        run(name, seeds=2, quick=True, steps=SMOKE_STEPS, out=str(out))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", PANELS)
def test_quick_panel_has_its_axes_and_every_metric(quick, name):
    r = load(quick / name, required=METRICS)
    assert r.dims == DIMS[name]
    chex.assert_shape(list(r.arrays.values()), tuple(len(r.coords[d]) for d in r.dims))
    assert list(r.coords["seed"]) == [0, 1]
    assert r.meta["config"]["quick"] is True and r.meta["config"]["steps"] == SMOKE_STEPS
    assert {"environment", "wall_s", "claim"} <= set(r.meta) and "versions" in r.meta["environment"]
    assert np.all(np.isfinite(r.arrays["llo"]))


@pytest.mark.slow
def test_theory_numbers(quick):
    left = load(quick / "fig3_left")
    # d_a = 2 (first), d_z = 1 (first): one of two action directions, LLO = 1.5.
    np.testing.assert_allclose(left.arrays["theory_llo"][0, 0], 1.5, atol=1e-6)
    middle = load(quick / "fig3_middle")
    s = list(middle.coords["sigma"]).index(0.5)
    d = list(middle.coords["d_z"]).index(8)
    t = list(middle.coords["action_target"]).index("action")
    np.testing.assert_allclose(middle.arrays["theory_nmse_action"][s, d, t], 0.25 / 1.25, atol=1e-3)
    # The subspace target: d_z 8 >= d_a, and iid noise leaves the action subspace recoverable exactly.
    u = list(middle.coords["action_target"]).index("subspace")
    np.testing.assert_allclose(middle.arrays["theory_nmse_action"][s, d, u], 0.0, atol=1e-6)
    right = load(quick / "fig3_right")
    at = select(right, "theory_llo", sigma=2.0, d_z=16)[0]
    np.testing.assert_allclose(at, 1.0, atol=1e-3)  # sigma_exo 2, d_z 16: both the action and the noise
    fig4_left = load(quick / "fig4_left")
    np.testing.assert_allclose(fig4_left.arrays["theory_llo"][0, 0, 0], 2.0, atol=1e-6)  # chi 0, no noise, both probes
    middle4 = load(quick / "fig4_middle")
    np.testing.assert_allclose(middle4.arrays["theory_llo"], 2.0, atol=1e-6)
    fig4_right = load(quick / "fig4_right")
    assert np.all(np.isnan(fig4_right.arrays["theory_llo"][..., 1, :]))  # labels: no PCA theory
    assert np.all(fig4_right.arrays["theory_llo"][..., 0, :] < 0.1)      # sigma_exo 2, d_z 8: the noise


@pytest.mark.slow
def test_finished_experiment_is_not_recomputed(quick, capsys):
    before = (quick / "fig4_middle.npz").stat().st_mtime_ns
    run("fig4_middle", seeds=2, quick=True, steps=SMOKE_STEPS, out=str(quick))
    assert (quick / "fig4_middle.npz").stat().st_mtime_ns == before
    assert "up to date" in capsys.readouterr().err


def test_unknown_experiment_is_a_clear_error(capsys):
    assert main(["fig9"]) == 2
    assert "experiment='fig9' is invalid: must be one of fig3_left" in capsys.readouterr().err


def test_corrupt_results_are_named(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ResultsError, match="bad.npz is corrupt"):
        load(tmp_path / "bad")
    with pytest.raises(ResultsError, match="does not exist"):
        load(tmp_path / "missing")
    from lamsim import save

    save(tmp_path, "side", {"llo": np.zeros(2)}, ("seed",), {"seed": np.arange(2)}, {})
    (tmp_path / "side.json").write_text("{oops")
    with pytest.raises(ResultsError, match="side.json is corrupt"):
        load(tmp_path / "side")


def test_interrupted_write_leaves_no_file(tmp_path):
    from lamsim.runtime import results

    def half_then_interrupt(f):
        f.write(b"half of an archive")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        results.atomic_write(tmp_path / "x.npz", half_then_interrupt)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(results.ResultsError, match="array 'llo' has shape \\(3,\\), expected \\(2,\\)"):
        results.save(tmp_path, "y", {"llo": np.zeros(3)}, ("seed",), {"seed": np.arange(2)}, {})
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_gives_the_mode_open_would(tmp_path):
    import os

    from lamsim.runtime import results

    results.atomic_write(tmp_path / "x.bin", lambda f: f.write(b"done"))
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "x.bin").read_bytes() == b"done"
    assert (tmp_path / "x.bin").stat().st_mode & 0o777 == 0o666 & ~mask


def test_every_linear_panel_plans_without_training(capsys):
    """Every declared linear panel (the paper's, the paper's reading, beyond the paper) at its published
    size: settings to train, steps to run, at most one compiled program per settings group."""
    import json

    for name in (n for n in NAMES if n not in TABLES):
        assert main([name, "--dry-run"]) == 0
        plan = json.loads(capsys.readouterr().out)["experiments"][name]
        assert plan["trained_settings"] > 0 and plan["config_steps"] > 0, name
        assert plan["compiled_programs"] == len(plan["groups"]), name


def test_dry_run_plans_without_training(capsys):
    import json

    from experiments.fig3_left import STEPS

    assert main(["fig3_left", "--dry-run", "--profile", "faithful", "--seeds", "5", "--backend", "gpu",
                 "--devices", "1", "--device-memory", "80", "--throughput", "1e5"]) == 0
    plan = json.loads(capsys.readouterr().out)
    steps = STEPS["faithful"]
    panel = plan["experiments"]["fig3_left"]
    assert panel["trained_settings"] == 8 * 16 and panel["compiled_programs"] == 1 and panel["chunks"] == 1
    assert plan["config_steps"] == 8 * 16 * 5 * steps
    assert plan["expected_train_s"] == round(plan["config_steps"] / 1e5, 1)
    # A small accelerator cuts the group into chunks that fit half its memory.
    assert main(["fig3_left", "--dry-run", "--seeds", "5", "--backend", "gpu", "--devices", "1",
                 "--device-memory", "0.05"]) == 0
    small = json.loads(capsys.readouterr().out)["experiments"]["fig3_left"]
    assert small["chunks"] > 1
    assert all(g["chunk_memory_mib"] <= 0.5 * 0.05 * 1024 for g in small["groups"])
    assert main(["fig3_left", "--dry-run", "--device-memory", "-1"]) == 2
