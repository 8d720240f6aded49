"""Table 1's augmentation candidates (reports/augmentation.py): the declared distance to the paper's
row, the closest candidate, and the published page as the arrays give it."""
import math
from pathlib import Path

import numpy as np

from lamsim.runtime.results import Results
from reports import augmentation

ROOT = Path(__file__).resolve().parents[1]


def _table(rows: dict) -> Results:
    """A (setting, seed) table whose rows hold (controllable, stochastic) on 4 seeds, spread +-0.01."""
    jitter = np.array([-0.01, 0.01, -0.01, 0.01])
    arrays = {m: np.asarray([[v[i] + j for j in jitter] for v in rows.values()])
              for i, m in enumerate(augmentation.METRICS)}
    return Results(arrays, ("setting", "seed"), {"setting": np.asarray(list(rows)), "seed": np.arange(4)}, {})


def test_the_distance_is_the_gaps_in_standard_errors_and_picks_the_closest():
    paper = augmentation.PAPER_ROW  # 0.415 +- 0.020 and 0.898 +- 0.049
    table = _table({"near": (0.415, 0.898 + 0.049), "far": (1.0, 2.0)})
    near = augmentation.cells(table, "near")
    se = 0.01 * math.sqrt(4 / 3) / math.sqrt(4)  # std(ddof=1) of +-0.01 over 4 seeds, / sqrt(4)
    want = 0.049 / math.hypot(se, paper["stochastic_loss"][1])
    assert near["gaps"][0] == 0.0 and abs(near["gaps"][1] - want) < 1e-9 and near["match"]
    assert abs(near["distance"] - want) < 1e-9 and not augmentation.cells(table, "far")["match"]
    assert augmentation.closest(table) == "near"


def test_the_published_page_is_what_the_arrays_give():
    page = ROOT / "results" / "table1_augmentation.md"
    assert augmentation.markdown(ROOT / "results") == page.read_text()
    assert "Closest to the paper's row under the cpu profile: `fresh_both`" in page.read_text()
