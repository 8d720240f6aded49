"""The authors' own numbers behind the paper's Figures 3 and 4, as reference data.

``experiments/data/authors_figures.csv`` holds, one row per point, the values
that the authors' plotting notebooks draw for the six panels of Figures 3 and
4, taken from the result tables in their public repository
(zhangchuheng123/LinearLAM at commit f44f3a69453fa854499fc3155135eb925722ebfc).
Where each panel's numbers come from (table, training iteration, notebook) and
every adjustment the notebooks apply before plotting are written up in
``experiments/data/authors_figures.md``. Each point is a single unseeded run
of theirs, so no seed axis exists here.

    load(panel)              -> Results on the panel's full coordinate grid

How far a reading of ours lies from these points is judged in reports/agreement.py.

Arrays of :func:`load`: ``llo`` (what the notebook plots, without the cosmetic
offset of Figure 3 middle), ``llo_plotted`` (exactly what is drawn; NaN for a
point the notebook leaves out), ``nmse_action``, ``nmse_obs`` (the tables' raw
columns) and ``nmse_noise`` (the noise term as it enters ``llo``: 1.0 where the
notebook adds a constant 1, the rescaled and clipped column in Figure 3 right).
Grid cells without a point of theirs are NaN.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np

from lamsim.runtime.results import Results

DATA = Path(__file__).resolve().parent / "data" / "authors_figures.csv"
PROVENANCE = "experiments/data/authors_figures.md"
REPOSITORY = "https://github.com/zhangchuheng123/LinearLAM"
COMMIT = "f44f3a69453fa854499fc3155135eb925722ebfc"

PANELS = ("fig3_left", "fig3_middle", "fig3_right", "fig4_left", "fig4_middle", "fig4_right")
DIMS = {
    "fig3_left": ("d_a", "d_z"),
    "fig3_middle": ("sigma", "d_z"),
    "fig3_right": ("sigma", "d_z"),
    "fig4_left": ("chi", "d_z"),
    "fig4_middle": ("kappa", "sigma", "d_z"),
    "fig4_right": ("sigma", "d_z", "label_rate"),
}
INTEGER_AXES = ("d_a", "d_z")
METRICS = ("llo", "llo_plotted", "nmse_action", "nmse_obs", "nmse_noise")

# Where each panel's rows come from, and how the notebook turns them into the plotted LLO.
_SOURCES = {
    "fig3_left": dict(
        csv="scripts/4_1_False.csv", iteration=None, notebook="script20250319_new_4_1.ipynb",
        formula="llo = -act_mse + obs_mse + 1 (the table has no noise column and no iteration column)"),
    "fig3_middle": dict(
        csv="scripts/4_2_False_no_noise_new.csv", iteration=10000, notebook="script20250319_new_4_2.ipynb",
        formula="llo = -act_mse + obs_mse + noi_mse; llo_plotted = llo + 0.016 - 0.002 * d_z (cosmetic offset)"),
    "fig3_right": dict(
        csv="scripts/4_3_False_long_train_predB.csv", iteration=40000, notebook="script20250319_new_4_3.ipynb",
        formula="nmse_noise = clip(noi_mse * sigma**2, 0, 1); llo = -act_mse + obs_mse + nmse_noise"),
    "fig4_left": dict(
        csv="scripts/5_learnATrue_CDzeroFalse_psdactionTrue.csv", iteration=40000,
        notebook="script20250319_new_5.ipynb",
        formula="llo = -act_mse + obs_mse + noi_mse (noi_mse is 1.0 in every row); the notebook draws only "
                "even d_z, so llo_plotted is NaN at odd d_z"),
    "fig4_middle": dict(
        csv="scripts/6_learnATrue_CDzeroFalse_psdactionFalse.csv", iteration=40000,
        notebook="script20250319_new_6.ipynb",
        formula="rows with kappa_coeff < 0.2; llo = -act_mse + obs_mse + 1 (the table's noi_mse is not used)"),
    "fig4_right": dict(
        csv="scripts/7_learnATrue_CDzeroFalse_psdlatentFalse_v2.csv", iteration=40000,
        notebook="script20250319_new_7.ipynb",
        formula="rows with mask_ratio 0 or 0.01 (label_rate); llo = min(-act_mse + obs_mse + noi_mse, 2)"),
}


def _check_panel(panel: str) -> None:
    if panel not in PANELS:
        raise ValueError(f"panel={panel!r} is invalid: must be one of {', '.join(PANELS)}")


@lru_cache(maxsize=1)
def _rows() -> tuple:
    with open(DATA, newline="") as f:
        return tuple(csv.DictReader(f))


def _noise_term(panel: str, row: dict) -> float:
    """The noise term as it enters the panel's LLO."""
    if panel in ("fig3_left", "fig4_middle"):
        return 1.0
    raw = float(row["noi_mse"])
    if panel == "fig3_right":
        return float(np.clip(raw * float(row["sigma"]) ** 2, 0.0, 1.0))
    return raw


def _coordinate(axis: str, row: dict):
    return int(row[axis]) if axis in INTEGER_AXES else float(row[axis])


def load(panel: str) -> Results:
    """The authors' values of ``panel`` on the full product grid of its coordinates.

    ``dims`` is ``DIMS[panel]`` (no seed axis); coordinates are sorted
    ascending; a grid cell without a point of theirs is NaN in every array.
    """
    _check_panel(panel)
    dims = DIMS[panel]
    rows = [r for r in _rows() if r["panel"] == panel]
    coords = {}
    for axis in dims:
        values = sorted({_coordinate(axis, r) for r in rows})
        coords[axis] = np.asarray(values, dtype=np.int64 if axis in INTEGER_AXES else np.float64)
    shape = tuple(len(coords[a]) for a in dims)
    arrays = {m: np.full(shape, np.nan) for m in METRICS}
    for r in rows:
        index = tuple(int(np.flatnonzero(coords[a] == _coordinate(a, r))[0]) for a in dims)
        arrays["llo"][index] = float(r["llo"])
        arrays["llo_plotted"][index] = float(r["llo_plotted"])
        arrays["nmse_action"][index] = float(r["act_mse"])
        arrays["nmse_obs"][index] = float(r["obs_mse"])
        arrays["nmse_noise"][index] = _noise_term(panel, r)
    source = _SOURCES[panel]
    meta = {
        "source": "authors", "panel": panel, "repository": REPOSITORY, "commit": COMMIT,
        "csv": source["csv"], "iteration": source["iteration"], "notebook": source["notebook"],
        "formula": source["formula"], "points": len(rows), "runs_per_point": 1, "seeded": False,
        "data": "experiments/data/authors_figures.csv", "provenance": PROVENANCE,
    }
    return Results(arrays, dims, coords, meta)
