"""`make figures` on the published results trains nothing: every result `make experiments` runs is in
results/ with the config it would run (each panel and table at its own declared seeds)."""
import re
from pathlib import Path

from experiments import NAMES, experiment
from experiments.runner import reusable

ROOT = Path(__file__).resolve().parents[1]


def _makefile_defaults() -> dict:
    text = (ROOT / "Makefile").read_text()
    return {k: re.search(rf"^{k} \?=[ \t]*(\S*)$", text, re.M).group(1) for k in ("PROFILE", "SEEDS", "TABLE_SEEDS")}


def test_make_experiments_runs_every_panel_at_its_own_seeds():
    assert _makefile_defaults() == {"PROFILE": "exact", "SEEDS": "", "TABLE_SEEDS": ""}
    assert "$(SEEDS_FLAG) $(TABLE_SEEDS_FLAG)" in (ROOT / "Makefile").read_text()


def test_every_published_side_car_holds_the_config_make_figures_runs():
    profile = _makefile_defaults()["PROFILE"]
    stale = []
    for name in NAMES:
        exp = experiment(name)
        job = exp.job(profile=profile, seeds=exp.default_seeds, quick=False, steps=None)
        if not reusable(ROOT / "results", job.outputs, job.config):
            stale.append(name)
    assert stale == [], f"make figures would train {stale}"
