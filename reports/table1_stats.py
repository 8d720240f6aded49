"""Table 1's statistics over seeds and the report's cell formats (used by :mod:`reports.table1`
and :mod:`figures.table1`): a mean with its standard error, the paired ordering of two rows, the
gap between two means in standard errors of their difference."""
from __future__ import annotations

import math

import numpy as np

from experiments.paper import paired_ordering
from lamsim.runtime import results


def mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error over seeds [S] (NaN if undefined)."""
    values = np.asarray(values, dtype=float)
    if np.all(np.isnan(values)):
        return math.nan, math.nan
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return float(values.mean()), float(se)


def gap_in_se(ours, paper) -> float:
    """How many standard errors of the difference separate two means: (mean ours - mean paper) /
    sqrt(s.e. ours^2 + s.e. paper^2), from (mean, s.e.) pairs; NaN where undefined."""
    (m1, s1), (m2, s2) = ours, paper
    spread = math.hypot(s1, s2)
    return (m1 - m2) / spread if spread > 0 else math.nan


def setting_names(table: results.Results) -> list:
    """The table's rows (its ``setting`` coordinate) as strings."""
    return [str(s) for s in table.coords["setting"]]


def paired(table: results.Results, metric: str, low: str, high: str):
    """The paired ordering of ``metric`` between settings ``low`` and ``high``
    over seeds, or None where ``table`` lacks the metric."""
    values = table.arrays.get(metric)
    if values is None:
        return None
    settings = [str(s) for s in table.coords["setting"]]
    return paired_ordering(values[settings.index(low)], values[settings.index(high)])


def fmt(pair) -> str:
    """A (mean, s.e.) cell: "mean ± s.e.", the mean alone where the s.e. is undefined, "–" where none."""
    if pair is None or math.isnan(pair[0]):
        return "–"
    mean, se = pair
    return f"{mean:.3f}" if math.isnan(se) else f"{mean:.3f} ± {se:.3f}"


def fmt_d(p) -> str:
    """A paired difference's cell: signed mean ± s.e."""
    return f"{p.mean:+.3f} ± {p.se:.3f}"


def fmt_gap(ours, paper) -> str:
    """:func:`gap_in_se` of two (mean, s.e.) pairs to one decimal, "–" where undefined."""
    if paper is None or math.isnan(ours[0]):
        return "–"
    gap = gap_in_se(ours, paper)
    return "–" if math.isnan(gap) else f"{gap:+.1f}"
