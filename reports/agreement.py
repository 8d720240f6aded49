"""``python -m reports agreement [--results DIR]``: the paper reading against the authors' figure values.

For each panel, our seed means of ``DIR/paper/<panel>.npz`` (experiments/paper_reading.py),
turned into the number the authors' notebook plots (:data:`experiments.paper_reading.PLOTTED`),
against the authors' values (experiments/authors.py) at every point they plot, without
Figure 3 middle's cosmetic offset: n, max |d|, mean |d|, the tolerance and whether it is met.
Figure 4 left is split at chi = 1, where the probes' finite training sets the number.
Prints a Markdown table and writes it to ``DIR/paper/agreement.md``. Exit status 0 once written,
2 where a result is missing or malformed; whether each row is within its tolerance is judged by
row F of ``python -m reports claims``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from experiments import authors, paper_reading
from lamsim.runtime.results import Results, atomic_write, load

#: Tolerances on max |d| (the figures issue): the panels the authors scored on 10,000 samples
#: or more; Figure 3 right and Figure 4 right, scored on one batch of 128; chi = 1.
TOLERANCE = {"fig3_left": 0.05, "fig3_middle": 0.05, "fig3_right": 0.12, "fig4_left": 0.05,
             "fig4_middle": 0.05, "fig4_right": 0.12, "fig4_left, chi = 1": 0.35}


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
    authors._check_panel(panel)
    if metric not in authors.METRICS:
        raise ValueError(f"{panel}: metric={metric!r} is invalid: must be one of {', '.join(authors.METRICS)}")
    expected = authors.DIMS[panel] + ("seed",)
    if tuple(ours.dims) != expected:
        raise ValueError(f"{panel}: ours has dims {tuple(ours.dims)}, expected {expected}")
    name = "llo" if metric == "llo_plotted" else metric
    if name not in ours.arrays:
        raise ValueError(f"{panel}: ours lacks the array {name!r}")
    return compare(ours, authors.load(panel), panel, metric)


def compare(ours: Results, theirs: Results, panel: str, metric: str = "llo") -> dict:
    """:func:`agreement` against ``theirs``: the authors' values of ``panel`` (from :func:`load`),
    possibly restricted to part of their grid."""
    expected = authors.DIMS[panel] + ("seed",)
    name = "llo" if metric == "llo_plotted" else metric
    for axis in expected:
        if axis not in ours.coords:
            raise ValueError(f"{panel}: ours lacks the coordinate array {axis!r}")
    index = [[_match(panel, a, ours.coords[a], v) for v in theirs.coords[a]] for a in authors.DIMS[panel]]
    values = np.asarray(ours.arrays[name], dtype=float)
    mine = values.mean(axis=-1)[np.ix_(*index)]
    reference = theirs.arrays[metric]
    present = ~np.isnan(reference)
    gaps = present & ~np.isfinite(mine)
    if gaps.any():
        at = np.argwhere(gaps)[0]
        where = ", ".join(f"{a}={theirs.coords[a][i].item()}" for a, i in zip(authors.DIMS[panel], at))
        raise ValueError(f"{panel}: ours has no finite {name!r} at the authors' point {where}")
    diff = np.where(present, np.abs(mine - reference), np.nan)
    n = int(present.sum())
    if n == 0:
        return {"n": 0, "max_abs": float("nan"), "mean_abs": float("nan"), "worst": {}}
    at = np.unravel_index(int(np.nanargmax(diff)), diff.shape)
    worst = {a: theirs.coords[a][i].item() for a, i in zip(authors.DIMS[panel], at)}
    return {"n": n, "max_abs": float(np.nanmax(diff)), "mean_abs": float(np.nanmean(diff)), "worst": worst}


class Row(NamedTuple):
    panel: str
    n: int
    max_abs: float
    mean_abs: float
    worst: dict
    tolerance: float

    @property
    def holds(self) -> bool:
        return self.max_abs <= self.tolerance


def _restricted(result: Results, axis: str, keep) -> Results:
    """``result`` (ours or theirs) on the coordinates of ``axis`` that pass ``keep``."""
    index = np.flatnonzero([keep(v) for v in result.coords[axis]])
    where = result.dims.index(axis)
    return result._replace(arrays={k: np.take(v, index, axis=where) for k, v in result.arrays.items()},
                           coords={**result.coords, axis: result.coords[axis][index]})


def with_seeded(ours: Results, seeded: Results) -> Results:
    """``ours`` as seed means (a seed axis of one), with the points ``seeded`` holds replaced by its
    seed means (:data:`experiments.paper_reading.SEEDED`: the same panel, more seeds at some points)."""
    arrays = {}
    for name, values in ours.arrays.items():
        mean = np.asarray(values, dtype=float).mean(axis=-1, keepdims=True)
        if name in seeded.arrays:
            index = [[_match("seeded", a, ours.coords[a], v) for v in seeded.coords[a]] for a in ours.dims[:-1]]
            mean[np.ix_(*index, [0])] = np.asarray(seeded.arrays[name], dtype=float).mean(axis=-1, keepdims=True)
        arrays[name] = mean
    return ours._replace(arrays=arrays, coords={**ours.coords, "seed": np.zeros(1, dtype=int)})


def panel_rows(panel: str, ours: Results, seeded: Optional[Results] = None) -> list:
    """The agreement rows of one panel (two for Figure 4 left: chi < 1 and chi = 1); ``seeded``:
    the same panel at more seeds at some of its points (:func:`with_seeded`)."""
    ours = paper_reading.plotted(panel, ours if seeded is None else with_seeded(ours, seeded))
    if panel != "fig4_left":
        return [Row(panel, **agreement(ours, panel), tolerance=TOLERANCE[panel])]
    rows = []
    for name, keep in (("fig4_left", lambda c: c < 1.0), ("fig4_left, chi = 1", lambda c: c == 1.0)):
        theirs = _restricted(authors.load("fig4_left"), "chi", keep)
        rows.append(Row(name, **compare(_restricted(ours, "chi", keep), theirs, panel),
                        tolerance=TOLERANCE[name]))
    return rows


def rows(results_dir) -> list:
    """Every agreement row, from ``results_dir/paper/<panel>.npz`` (and ``<panel>_seeds.npz``
    where :data:`experiments.paper_reading.SEEDED` declares one)."""
    out, folder = [], Path(results_dir) / paper_reading.FOLDER
    for panel in authors.PANELS:
        seeded = load(folder / f"{panel}_seeds") if panel in paper_reading.SEEDED else None
        out += panel_rows(panel, load(folder / panel), seeded)
    return out


def table(found: list) -> str:
    lines = ["| panel | points | max \\|d\\| | mean \\|d\\| | worst point | tolerance | within |",
             "|---|---|---|---|---|---|---|"]
    for r in found:
        worst = ", ".join(f"{k} {v:g}" for k, v in r.worst.items())
        lines.append(f"| {r.panel} | {r.n} | {r.max_abs:.3f} | {r.mean_abs:.3f} | {worst} | {r.tolerance:g} | "
                     f"{'yes' if r.holds else 'NO'} |")
    seeded = [f"{panel}: its points {', '.join(f'{a.name} {list(a.values)}' for a in p.axes)} at {p.default_seeds} "
              f"seeds ({p.name})" for panel, p in paper_reading.SEEDED.items()]
    return "\n".join(lines + ["", "Seed means of ours; " + "; ".join(seeded) + "."]) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m reports agreement", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default="results", help="results folder holding paper/<panel>.npz")
    args = p.parse_args(argv)
    text = table(rows(args.results))
    atomic_write(Path(args.results) / paper_reading.FOLDER / "agreement.md", lambda f: f.write(text.encode()))
    sys.stdout.write(text)
    return 0
