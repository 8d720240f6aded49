"""The exogenous-state command line and the beyond-the-paper claims (reports/exogenous.py): the published
panels hold, a doctored one is contradicted with its measured numbers, and bad values end in one line."""
import json
from pathlib import Path

import numpy as np
import pytest

from lamsim.__main__ import main as cli
from lamsim.runtime.results import load
from reports import claims, exogenous

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _published():
    return {n: load(RESULTS / n) for n in claims._EXO}


def test_the_published_panels_hold_every_prediction():
    found = _published()
    for spec in claims.EXOGENOUS:
        verdict = claims.judge(spec, found)
        assert verdict.verdict == "holds", (spec.id, verdict.checks, verdict.reason)


@pytest.mark.parametrize("claim_id, name, metric, how", [
    ("X1", "exo_state", "nmse_action", lambda a: 1.0 - a),           # action-first and noise-first swapped
    ("X0", "exo_mask", "llo", lambda a: a + 0.05),                    # every run 0.05 off its theory
    ("X5", "exo_remedies_optimum", "nmse_state", lambda a: 0.5 * a),  # labels leave the state in the latent
])
def test_a_wrong_result_is_contradicted(claim_id, name, metric, how):
    found = _published()
    found[name] = found[name]._replace(arrays={**found[name].arrays, metric: how(found[name].arrays[metric])})
    spec = next(s for s in claims.EXOGENOUS if s.id == claim_id)
    verdict = claims.judge(spec, found)
    assert verdict.verdict == "contradicted" and any(not c.holds for c in verdict.checks)


def test_the_remedies_table_has_every_row_and_cell(tmp_path):
    text = exogenous.markdown(load(RESULTS / "exo_remedies"), load(RESULTS / "exo_remedies_optimum"))
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| remedy")]
    assert [r.split(" | ")[0][2:] for r in rows] == list(exogenous.ROWS) * 2
    assert all(r.count(" | ") == 6 for r in rows)


def test_a_missing_panel_is_not_resolved_and_names_its_command(tmp_path):
    missing = claims.obtain("exo_state", tmp_path)
    assert "python -m experiments exo_state" in missing.reason
    spec = next(s for s in claims.EXOGENOUS if s.id == "X1")
    assert claims.judge(spec, {"exo_state": missing}).verdict == "not resolved"


@pytest.mark.parametrize("flags, field", [(["--rho", "1.5"], "rho"), (["--mask-weight", "2"], "mask_weight"),
                                          (["--d-o", "12", "--d-b", "8", "--d-z", "4"], "d_b")])
def test_bad_cli_values_end_in_one_line_naming_the_field(flags, field, capsys):
    assert cli(["run", "--noise", "exo-state", "--sigma", "1", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {field}=") and "\n" not in err


@pytest.mark.slow
def test_run_on_sampled_batches_reports_nmse_state_beside_the_llo(capsys):
    """``run`` with the ``fast`` profile (Adam on sampled batches, through the trainer's exogenous-state
    streams): A = I, sigma_e 1, rho -0.5 (2 sigma_e^2 (1 - rho) = 3 > 1: the latent holds the
    background, nMSE(e | z) = (1 + rho) / 2 = 0.25) on the closed form."""
    assert cli(["run", "--noise", "exo-state", "--sigma", "1", "--rho", "-0.5", "--a-fixed", "--profile", "fast",
                "--d-o", "24", "--d-a", "4", "--d-b", "4", "--d-z", "4", "--steps", "800"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"llo", "nmse_state", "theory_nmse_state"} <= set(doc["mean"])
    assert doc["settings"]["rho"] == -0.5 and doc["settings"]["learn_a"] is False
    assert doc["mean"]["nmse_state"] == pytest.approx(0.25, abs=0.02)
    assert np.isfinite(doc["mean"]["theory_llo"])
    assert doc["mean"]["llo"] == pytest.approx(doc["mean"]["theory_llo"], abs=0.03)
