"""Table 1's statistics over seeds and the report's cell formats (used by :mod:`reports.table1`,
:mod:`reports.nonlinear` and :mod:`figures.table1`): a mean with its standard error, the paired
ordering of two rows with its verdict and the seeds it would need, the gap between two means in
standard errors of their difference."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lamsim.runtime import results
from reports.checks import CONTRADICTED, HOLDS, NOISE_SE, UNRESOLVED

#: An ordering holds when its mean paired difference is at least this many standard errors above 0,
#: and is contradicted when it is that many below.
ORDERING_SE = NOISE_SE


class PairedOrdering(NamedTuple):
    """One ordering judged on paired seeds: mean and standard error of
    d_s = metric[higher, s] - metric[lower, s], the number of seeds, the verdict."""

    mean: float
    se: float
    n: int
    verdict: str

    @property
    def seeds_needed(self) -> float:
        """Seeds at which the observed effect would reach :data:`ORDERING_SE` standard errors:
        (ORDERING_SE x sd / mean)^2 with sd = se x sqrt(n), rounded up (inf where mean <= 0 or
        the s.e. is undefined)."""
        if not self.mean > 0 or not math.isfinite(self.se):
            return math.inf
        return float(math.ceil((ORDERING_SE * self.se * math.sqrt(self.n) / self.mean) ** 2))

    @property
    def reason(self) -> str:
        """Why the ordering does not hold, in one line with its numbers ("" where it holds)."""
        d = f"d = {self.mean:+.3f} ± {self.se:.3f} at {self.n} seed{'s' if self.n > 1 else ''}"
        if self.verdict == HOLDS:
            return ""
        if self.verdict == CONTRADICTED:
            return f"{d}: reversed by more than {ORDERING_SE:g} s.e."
        if not math.isfinite(self.se):
            return f"{d}: one seed has no s.e."
        if self.mean > 0:
            return f"{d}: within {ORDERING_SE:g} s.e.; about {self.seeds_needed:.0f} seeds needed at the observed effect"
        return f"{d}: points against the paper, within {ORDERING_SE:g} s.e."


def paired_ordering(lower, higher) -> PairedOrdering:
    """Judge "lower < higher" on per-seed values [S] of two settings.

    A seed has the same initialisation and data in every setting (common random numbers), so the
    difference is taken per seed: d_s = higher[s] - lower[s], mean(d) with standard error
    std(d, ddof=1) / sqrt(S). Verdict: holds if mean(d) >= ORDERING_SE s.e. and > 0; contradicted
    if mean(d) <= -ORDERING_SE s.e. and < 0; otherwise (within noise, a single seed, NaN) not
    resolved.
    """
    d = np.asarray(higher, dtype=float) - np.asarray(lower, dtype=float)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"paired values must be two equal-length 1-D arrays, got difference shape {d.shape}")
    mean = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    if mean > 0 and mean >= ORDERING_SE * se:
        verdict = HOLDS
    elif mean < 0 and -mean >= ORDERING_SE * se:
        verdict = CONTRADICTED
    else:
        verdict = UNRESOLVED
    return PairedOrdering(mean, se, int(d.size), verdict)


def gap_in_se(ours, paper) -> float:
    """How many standard errors of the difference separate two means: (mean ours - mean paper) /
    sqrt(s.e. ours^2 + s.e. paper^2), from (mean, s.e.) pairs; NaN where undefined."""
    (m1, s1), (m2, s2) = ours, paper
    spread = math.hypot(s1, s2)
    return (m1 - m2) / spread if spread > 0 else math.nan


def first_seeds(table: results.Results, k: int) -> results.Results:
    """``table`` (dims setting, seed) on its first ``k`` seeds."""
    return table._replace(arrays={m: np.asarray(v)[:, :k] for m, v in table.arrays.items()},
                          coords={**table.coords, "seed": np.asarray(table.coords["seed"])[:k]})


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
