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
    agreement(ours, panel)   -> how far our seed means lie from their points

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


def _match(panel: str, axis: str, ours_values, value) -> int:
    ours_values = np.asarray(ours_values)
    if ours_values.dtype.kind not in "biuf":
        raise ValueError(f"{panel}: our coordinate {axis!r} is not numeric ({ours_values.dtype})")
    found = np.flatnonzero(np.isclose(ours_values.astype(float), float(value)))
    if found.size == 0:
        raise ValueError(f"{panel}: ours lacks {axis}={value} of the authors' grid (ours has {axis} "
                         f"{[v.item() for v in ours_values]})")
    return int(found[0])


def agreement(ours: Results, panel: str, metric: str = "llo") -> dict:
    """Compare the seed mean of ``ours`` with the authors' ``metric`` at each of their points.

    ``ours`` must have dims ``DIMS[panel] + ("seed",)``; it may hold more
    coordinate values than the authors' grid. Its array ``metric`` is used
    (``llo`` when ``metric`` is ``llo_plotted``, which only the authors have).
    Points the authors lack (NaN) are skipped. Returns ``n`` (points compared),
    ``max_abs`` and ``mean_abs`` (of ours minus theirs) and ``worst`` (the
    coordinates of the largest difference). Raises ValueError, naming the panel,
    if ours has other dims, lacks the array, or lacks a point of the authors.
    """
    _check_panel(panel)
    if metric not in METRICS:
        raise ValueError(f"{panel}: metric={metric!r} is invalid: must be one of {', '.join(METRICS)}")
    expected = DIMS[panel] + ("seed",)
    if tuple(ours.dims) != expected:
        raise ValueError(f"{panel}: ours has dims {tuple(ours.dims)}, expected {expected}")
    name = "llo" if metric == "llo_plotted" else metric
    if name not in ours.arrays:
        raise ValueError(f"{panel}: ours lacks the array {name!r}")
    return compare(ours, load(panel), panel, metric)


def compare(ours: Results, theirs: Results, panel: str, metric: str = "llo") -> dict:
    """:func:`agreement` against ``theirs``: the authors' values of ``panel`` (from :func:`load`),
    possibly restricted to part of their grid."""
    expected = DIMS[panel] + ("seed",)
    name = "llo" if metric == "llo_plotted" else metric
    for axis in expected:
        if axis not in ours.coords:
            raise ValueError(f"{panel}: ours lacks the coordinate array {axis!r}")
    index = [[_match(panel, a, ours.coords[a], v) for v in theirs.coords[a]] for a in DIMS[panel]]
    values = np.asarray(ours.arrays[name], dtype=float)
    mine = values.mean(axis=-1)[np.ix_(*index)]
    reference = theirs.arrays[metric]
    present = ~np.isnan(reference)
    gaps = present & ~np.isfinite(mine)
    if gaps.any():
        at = np.argwhere(gaps)[0]
        where = ", ".join(f"{a}={theirs.coords[a][i].item()}" for a, i in zip(DIMS[panel], at))
        raise ValueError(f"{panel}: ours has no finite {name!r} at the authors' point {where}")
    diff = np.where(present, np.abs(mine - reference), np.nan)
    n = int(present.sum())
    if n == 0:
        return {"n": 0, "max_abs": float("nan"), "mean_abs": float("nan"), "worst": {}}
    at = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
    worst = {a: theirs.coords[a][i].item() for a, i in zip(DIMS[panel], at)}
    return {"n": n, "max_abs": float(np.nanmax(diff)), "mean_abs": float(np.nanmean(diff)), "worst": worst}
