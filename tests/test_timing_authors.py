"""The per-part timing of the authors' Table 1 update: its report, and its FLOPs against the plan's."""
import math

import pytest

from experiments.timing import time_authors_step
from lamsim.gridworld.authors import settings as asg
from lamsim.gridworld.authors import plan as authors_plan


@pytest.mark.slow
def test_authors_step_timing_reports_every_part_and_the_plans_flops():
    # Large enough that the plan's rounding (4 decimals of a GFLOP per run) stays under 1%.
    config = asg.profile("cpu", width=8, mlp_width=16, batch=32, trajectories=40, frames=8, epochs=2, metric_epochs=1)
    out = time_authors_step(config, seeds=1, steps=2)
    assert (out["runs"], out["batch"], out["width"], out["mlp_width"], out["steps_timed"]) == (7, 32, 8, 16, 2)
    for key in ("update_ms", "data_ms", "forward_backward_ms", "adam_ms", "measurement_ms", "gflop_per_update",
                "gflops_achieved", "sgemm_gflops", "full_table_train_s"):
        assert math.isfinite(out[key]) and out[key] > 0, key
    assert 0 < out["share_of_sgemm"] and out["devices"] >= 1
    # One compiled update of all 7 vmapped runs costs 7 of the plan's one-run update; XLA costs a scan's
    # body once, so the scan's own analysis is about one update, not steps_timed of them.
    plan = authors_plan.plan(config, out["runs"], backend="cpu")
    assert out["gflop_per_update"] == pytest.approx(out["runs"] * plan["gflop_per_update_per_run"], rel=0.01)
    assert abs(out["gflop_per_update"] - plan["gflop_per_update_all_runs"]) <= 0.005  # its 2 decimals
    assert out["gflop_scan_cost_analysis"] == pytest.approx(out["gflop_per_update"], rel=0.02)
