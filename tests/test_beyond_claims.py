"""The beyond-pixels claims and page (reports/beyond.py): the published panels give the recorded verdicts,
a doctored panel is contradicted with its numbers, a missing one is not resolved, and the page has every
row."""
from pathlib import Path

import pytest

from lamsim.runtime.results import load
from reports import beyond, claims
from reports.checks import CONTRADICTED, HOLDS, UNRESOLVED, Missing

RESULTS = Path(__file__).resolve().parents[1] / "results"
NAMES = (beyond.FEATURES, beyond.HORIZON, beyond.HELD_BACK, beyond.ENCODER, beyond.REMEDIES, beyond.TAU)


def _published():
    return {n: load(RESULTS / n) for n in NAMES}


def _spec(claim_id):
    return next(s for s in claims.PIXELS if s.id == claim_id)


@pytest.mark.parametrize("claim_id", ["R0", "R2", "R5"])
def test_the_theory_claims_hold_on_the_published_panels(claim_id):
    verdict = claims.judge(_spec(claim_id), _published())
    assert verdict.verdict == HOLDS, (claim_id, verdict.checks)


@pytest.mark.parametrize("claim_id, name, metric, how", [
    ("R0", beyond.HORIZON, "llo", lambda a: a + 0.05),                 # every run 0.05 off its theory
    ("R2", beyond.FEATURES, "nmse_action", lambda a: 1.0 - a),         # the agent map's switch reversed
    ("R5", beyond.HORIZON, "nmse_action", lambda a: 1.0 - a),          # the horizon's effect reversed
])
def test_a_wrong_result_is_contradicted(claim_id, name, metric, how):
    found = _published()
    found[name] = found[name]._replace(arrays={**found[name].arrays, metric: how(found[name].arrays[metric])})
    verdict = claims.judge(_spec(claim_id), found)
    assert verdict.verdict == CONTRADICTED and any(not c.holds for c in verdict.checks)


def test_a_missing_panel_is_not_resolved_and_names_its_command():
    found = _published()
    found[beyond.ENCODER] = Missing(f"results/{beyond.ENCODER} missing (python -m experiments {beyond.ENCODER})")
    verdict = claims.judge(_spec("R1"), found)
    assert verdict.verdict == UNRESOLVED and "python -m experiments beyond_encoder" in verdict.why


def test_the_page_has_every_row():
    text = beyond.page(RESULTS)
    for name in NAMES:
        loaded = load(RESULTS / name)
        for axis in loaded.dims[:1]:
            assert all(f"| {v} |" in text for v in loaded.coords[axis]), (name, axis)
