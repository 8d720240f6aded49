"""The authors' Table 1 protocol trained: BatchNorm state, the metrics window, the authors'
normalisers, a faithful run end to end, the FLOP plan and the width sweep (tiny sizes)."""
import dataclasses

import chex
import jax
import numpy as np
import pytest

from lamsim.gridworld.authors import evaluate as ae
from lamsim.gridworld.authors import settings as asg
from lamsim.gridworld.authors import plan as authors_plan
from lamsim.gridworld.authors import world as aw
from lamsim.runtime import results

from authors_tiny import TINY  # tests/authors_tiny.py


@pytest.mark.slow
def test_training_carries_batchnorm_state_and_fills_the_metrics_window(authors_tiny_trained):
    config, state, knobs, initial, data = authors_tiny_trained
    before = jax.tree.leaves(initial.batch_stats)
    after = jax.tree.leaves(state.batch_stats)
    assert len(after) == 12  # mean and variance of 2 BatchNorms in the encoder and 4 in the FDM
    assert all(np.all(np.isin(np.asarray(b), [0.0, 1.0])) for b in before)
    # In every run, every running mean and variance moved away from its start (0 / 1).
    moved = np.stack([np.max(np.abs(np.asarray(a) - np.asarray(b)), axis=1) for a, b in zip(after, before)])
    assert moved.min() > 1e-3
    # The window: metric_epochs x updates_per_epoch updates, each on a full held-out batch.
    updates = config.metric_epochs * config.updates_per_epoch
    np.testing.assert_array_equal(state.window.updates, updates)
    np.testing.assert_array_equal(np.asarray(state.window.counts).sum(axis=(1, 2)), updates * config.batch)
    # Without resets the codebook never moves (it is outside the optimiser).
    no_reset = np.asarray(state.resets).sum(axis=1) == 0
    assert no_reset.any()
    np.testing.assert_array_equal(np.asarray(state.params["vq"]["codebook"])[no_reset],
                                  np.asarray(initial.params["vq"]["codebook"])[no_reset])
    # The data: 95% training trajectories under each run's policy, labels only on the 1% row's first trajectories.
    chex.assert_shape((data.train.cell, data.test.cell), ((14, 190, 12), (14, 10, 12)))
    labelled = np.asarray(data.labelled).sum(axis=1)
    # int(0.01 * 200) = 2 trajectories (0 and 1) carry labels, where they fell in the training split.
    assert labelled[:12].sum() == 0 and np.all(labelled[12:] <= 2) and labelled[12:].sum() >= 1


@pytest.mark.slow
def test_metrics_are_normalised_as_the_authors_did(authors_tiny_trained):
    config, state, knobs, _, _ = authors_tiny_trained
    m = ae.window_metrics(state.window, knobs, config)
    mse = np.asarray(state.window.controllable) / np.asarray(state.window.updates)
    np.testing.assert_allclose(m["controllable_loss"], mse / 0.060, rtol=1e-6)
    np.testing.assert_allclose(m["controllable_loss_exact"], mse / aw.action_blind_error(config.frames), rtol=1e-6)
    variance = np.asarray(knobs.noise_intensity) ** 2 / 4  # 0.25 low, 1.0 high
    np.testing.assert_allclose(m["stochastic_loss"][2:], m["stochastic_mse"][2:] / variance[2:], rtol=1e-6)
    assert np.all(np.isnan(m["stochastic_loss"][:2]))
    assert set(np.unique(variance)) == {0.0, 0.25, 1.0}
    assert np.all((m["codes_used"] >= 1) & (m["codes_used"] <= 5))


@pytest.mark.slow
def test_faithful_runs_end_to_end_at_a_tiny_size(tmp_path):
    from experiments import table1
    from experiments.runner import run_experiment

    table = table1.AUTHORS.with_profile("faithful", **TINY)
    assert table1.AUTHORS.with_profile("faithful").model == asg.profile("faithful")
    # Any size but the cpu profile's has its own name, so it never overwrites the published table.
    assert table.name == "table1_authors_custom"
    assert table1.AUTHORS.with_profile("faithful").name == "table1_authors_faithful"
    table = dataclasses.replace(table, name="table1_authors")  # here, to exercise the report below
    path = run_experiment(table, seeds=2, out=tmp_path)
    assert path.name == "table1_authors.npz"
    loaded = results.load(path, required=("controllable_loss", "stochastic_loss"))
    assert loaded.dims == ("setting", "seed") and list(loaded.coords["setting"]) == list(table1.AUTHORS_ROWS)
    for name in ae.METRICS:
        chex.assert_shape(loaded.arrays[name], (7, 2))
    assert np.all(np.isfinite(loaded.arrays["controllable_loss"]))
    stochastic = loaded.arrays["stochastic_loss"]
    assert np.all(np.isnan(stochastic[0])) and np.all(np.isfinite(stochastic[1:]))  # no noise: nothing to divide by
    assert loaded.meta["config"]["profile"] == "faithful" and loaded.meta["config"]["model"]["width"] == 4
    assert loaded.meta["action_blind_error"] == pytest.approx(aw.action_blind_error(TINY["frames"]))
    stamp = path.stat().st_mtime_ns
    assert run_experiment(table, seeds=2, out=tmp_path) == path and path.stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="steps=10 is invalid"):
        table.job(seeds=2, steps=10)

    # The report leads with the authors' protocol: each cell beside the paper's, the difference in
    # s.e., the normaliser checked, the nine orderings; and its figure.
    from figures import table1 as draw
    from reports import table1 as report

    text = report.write(str(tmp_path)).read_text()
    assert "## Table 1 as the authors ran it (profile faithful, W 4, M 8; " in text  # not the published cpu table
    assert "Of the paper's 9 orderings, profile faithful, W 4, M 8 (2 seeds)" in text
    assert f"{aw.action_blind_error(TINY['frames']):.6f}" in text and "our variant" not in text
    low = [line for line in text.splitlines() if line.startswith("| Low noise (default) |")][0].split(" | ")
    ours = report.mean_se(loaded.arrays["controllable_loss"][1])
    assert low[2] == "0.781 ± 0.079" and float(low[3]) == pytest.approx(
        (ours[0] - 0.781) / np.hypot(ours[1], 0.079), abs=0.051)
    draw.main(str(tmp_path))
    assert (tmp_path / "figures/table1_authors.png").stat().st_size > 0


@pytest.mark.slow
def test_the_plan_counts_flops_per_update_from_xla():
    sizes = dict(width=8, mlp_width=16, epochs=1000, metric_epochs=1)
    small, double = (authors_plan.plan(asg.profile("faithful", batch=b, **sizes), runs=3, formulation="per-sample",
                                       device_memory=2 ** 30 if b == 64 else None) for b in (64, 128))
    # Per-sample work: doubling the batch doubles an update's FLOPs (and halves the updates per epoch).
    assert double["gflop_per_update_per_run"] == pytest.approx(2 * small["gflop_per_update_per_run"], rel=0.05)
    # At the authors' batch of 1,024 the per-frame encoder runs on 2 x 192 distinct frames instead of
    # 2 x 1,024, and the convolutions skip padding taps: well under the per-sample FLOPs (16 x small, by
    # the linearity above); an encoder still run per sample would be at or above them.
    per_frame = authors_plan.plan(asg.profile("faithful", batch=1024, **sizes), runs=3)
    assert per_frame["gflop_per_update_per_run"] < 0.6 * 16 * small["gflop_per_update_per_run"]
    assert small["updates_per_run"] == 1000 * 60 and double["updates_per_run"] == 1000 * 30
    assert small["total_tflop"] == pytest.approx(
        3 * (60000 * small["gflop_per_update_per_run"] + 60 * small["gflop_per_measurement_per_run"]) / 1e3, rel=0.01)
    assert small["fits_one_program"] is True and "fits_one_program" not in double


def test_the_width_sweep_holds_the_cpu_profile_and_refuses_bad_seeds(tmp_path, capsys):
    from experiments import table1, table1_widths

    tables = [table1_widths.table_at(w) for w in table1_widths.WIDTHS]
    assert [t.name for t in tables] == ["table1_authors_w4", "table1_authors_w8", "table1_authors"]
    default = tables[table1_widths.WIDTHS.index(asg.CPU_WIDTH)]
    assert default.job().config == table1.AUTHORS.job().config
    assert all(t.model.mlp_width == table1_widths.MLP_RATIO * t.model.width for t in tables)
    assert all(dataclasses.replace(t.model, width=64, mlp_width=512) == asg.profile("faithful") for t in tables)
    from experiments.__main__ import main as experiments_cli

    assert experiments_cli(["table1_widths", "--seeds", "0", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: seeds=0 is invalid") and err.count("\n") == 1 and not list(tmp_path.iterdir())
