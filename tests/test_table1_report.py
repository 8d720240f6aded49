"""The Table 1 report leads with the authors' size once its table exists, the cpu profile beside it;
until then with the cpu profile, saying how many of the full size's units exist."""
import numpy as np

from experiments.table1 import AUTHORS, AUTHORS_ROWS
from experiments.table1_units import unit_path
from figures import table1 as draw
from lamsim.gridworld.authors.settings import profile
from lamsim.runtime.results import save
from reports import table1 as report


def _table(out, name, profile_name, shift):
    rng = np.random.default_rng(len(name))
    rows, seeds = list(AUTHORS_ROWS), 5
    base = {"controllable_loss": np.linspace(0.5, 1.5, len(rows)), "stochastic_loss": np.linspace(1.0, 0.6, len(rows))}
    arrays = {m: v[:, None] + shift + 0.01 * rng.standard_normal((len(rows), seeds)) for m, v in base.items()}
    config = {"protocol": "authors", "profile": profile_name, "seeds": seeds, "quick": False,
              "model": profile(profile_name).to_dict(), "settings": {}}
    meta = {"config": config, "controllable_normaliser": 0.06, "action_blind_error": 0.056781, "wall_s": 10.0,
            "environment": {"device_kind": "cpu", "devices": ["cpu"]}}
    save(out, name, arrays, ("setting", "seed"), {"setting": np.asarray(rows), "seed": np.arange(seeds)}, meta)


def test_the_full_size_leads_once_it_exists(tmp_path):
    _table(tmp_path, "table1_authors", "cpu", 0.0)
    unit = unit_path(tmp_path, AUTHORS.with_profile("faithful"), "no_noise", 0)
    unit.parent.mkdir()
    unit.write_text('{"kind": "table1_authors unit"}')  # not a whole unit: the report names the file
    try:
        report.write(str(tmp_path))
    except ValueError as e:
        assert str(unit) in str(e)
    else:
        raise AssertionError("a corrupt unit must be named")
    unit.unlink()
    text = report.write(str(tmp_path)).read_text()
    assert "**The authors' size (W 64, M 512): 0 of 140 units trained**" in text
    assert "## Table 1 as the authors ran it (cpu profile; claim C8 rests on it)" in text
    assert "(C8 (cpu profile): " in text and "authors' size:" not in text

    _table(tmp_path, "table1_authors_faithful", "faithful", 0.2)
    text = report.write(str(tmp_path)).read_text()
    assert "units trained" not in text
    assert "## Table 1 as the authors ran it (authors' size; claim C8 rests on it)" in text
    assert "| ordering | why | authors' size: d | verdict | cpu profile: d | verdict |" in text
    assert "| Setting | loss | W 16, M 128 (cpu) | W 64, M 512 (authors' size, seeds 0-4) | paper |" in text
    # The lead table's cells are the full size's: low noise's controllable mean is 0.667 + 0.2.
    low = [line for line in text.splitlines() if line.startswith("| Low noise (default) |")][0].split(" | ")
    assert abs(float(low[1].split(" ± ")[0]) - (0.5 + 1 / 6 + 0.2)) < 0.02
    draw.main(str(tmp_path))
    assert (tmp_path / "figures/table1_authors.png").stat().st_size > 0
