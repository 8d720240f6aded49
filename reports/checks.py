"""The claims' shared machinery: the thresholds, a claim's verdict made of checks, and the helpers
that select results and build checks from them (:mod:`reports.claims` lists the claims)."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lamsim.linear.evaluate import CONVERGED_DRIFT
from lamsim.runtime.results import Results, ResultsError, select

#: d_a (= d_b) where a panel fixes it; the checks read d_z = d_a = 8.
D_A = 8

# Thresholds, shared by the claims and the profile check.
LOSS_SHARE = 0.01       # C1: trained loss above the PCA floor, relative ...
LOSS_ABSOLUTE = 2e-4    # ... or absolute, whichever is larger (floors near 0)
IDEAL_LLO = 1.97        # C2: LLO of a latent holding all of the action and nothing else
LLO_TOLERANCE = 0.03    # C2, C3: distance from a theory value
EXO2_LLO = 0.15         # C4: sigma_exo = 2 at d_z = d_a: the latent holds the noise
AUGMENTED_LLO = 1.95    # C6: |kappa| >= 0.1
LABELLED_LLO = 1.5      # C7: 1% labels with sigma_exo = 2
NEGLIGIBLE_GAP = 0.05   # C3: "negligible gap" to the ideal LLO of 2
POLICY_FIT_DROP = 1.0   # C5, the paper's protocol: LLO(chi 0) - LLO(chi 1)
PROFILE_TOLERANCE = 0.05
RISE_SHARE = 0.05       # C6: largest rise of ||A - I||, ||C + D|| between neighbouring |kappa|


class ClaimError(ValueError):
    """The results lack what a check needs (an axis value, an array, a setting)."""


#: The three verdicts of a check and of a claim. Holds: every measured point lies on the claim's
#: side of its threshold. Not resolved: the evidence is within noise of the threshold (2 s.e. over
#: seeds), or a result is missing, or no point it needs has converged. Contradicted: a converged
#: point lies on the wrong side by more than the noise.
HOLDS, UNRESOLVED, CONTRADICTED = "holds", "not resolved", "contradicted"
VERDICTS = (HOLDS, UNRESOLVED, CONTRADICTED)
#: A point within this many standard errors (over seeds) of its threshold is within noise.
NOISE_SE = 2.0


def overall(verdicts) -> str:
    """The verdict of several: contradicted if any is, holds if all hold (and there is one), else
    not resolved."""
    verdicts = list(verdicts)
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    return HOLDS if verdicts and all(v == HOLDS for v in verdicts) else UNRESOLVED


class Point(NamedTuple):
    """One measured number and where it was measured (a readable label); ``converged`` False
    where training had not settled there (|llo_drift| above CONVERGED_DRIFT): no verdict rests on
    it; ``se``: its standard error over seeds (NaN where undefined: one seed, or not given)."""

    where: str
    value: float
    converged: bool = True
    se: float = float("nan")


class Check(NamedTuple):
    """One quantity measured against its threshold: the verdict (one of :data:`VERDICTS`) and,
    where it does not hold, why in one line with its number."""

    quantity: str
    threshold: str
    measured: str
    verdict: str
    reason: str = ""

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS


class Claim(NamedTuple):
    """A claim's verdict from its checks (:func:`overall`); ``reason`` says why nothing was
    measured (then not resolved: a missing result, or one that lacks what a check reads)."""

    id: str
    statement: str
    checks: tuple
    reason: str = ""

    @property
    def verdict(self) -> str:
        return UNRESOLVED if self.reason else overall(k.verdict for k in self.checks)

    @property
    def why(self) -> str:
        """One line: why the claim does not hold ("" where it holds), from its first contradicted
        check, else its first unresolved one."""
        if self.reason:
            return self.reason
        for verdict in (CONTRADICTED, UNRESOLVED):
            found = [k for k in self.checks if k.verdict == verdict]
            if found:
                first = found[0].reason or f"{found[0].quantity}: {found[0].measured}"
                return first if len(found) == 1 else f"{len(found)} of {len(self.checks)} checks {verdict}; {first}"
        return ""


class Missing(NamedTuple):
    """A result that is not in the results folder, and why."""

    reason: str


# ---------------------------------------------------------------- selecting results

def grid(loaded: Results, metric: str, seeds: bool = False, **where) -> list:
    """``metric`` at the coordinates ``where``, as a list of (coordinates of the remaining axes as a
    dict, value), in grid order: the value is the mean over seeds, or with ``seeds`` the per-seed
    values [S] (which :func:`points` turns into a mean and its standard error)."""
    try:
        arr, dims = select(loaded, metric, **where)
    except ResultsError as e:
        raise ClaimError(str(e)) from e
    arr = np.moveaxis(arr, dims.index("seed"), -1)
    if not seeds:
        arr = arr.mean(axis=-1)
    dims.remove("seed")
    out = []
    for idx in np.ndindex(arr.shape[:len(dims)]):
        coords = {d: loaded.coords[d][i].item() for d, i in zip(dims, idx)}
        out.append((coords, arr[idx] if seeds else float(arr[idx])))
    return out


def label(coords: dict, prefix: str = "") -> str:
    text = ", ".join(f"{k}={_fmt(v)}" for k, v in coords.items())
    return f"{prefix} {text}".strip()


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def mean_se(values) -> tuple:
    """(mean, standard error std(ddof=1) / sqrt(n)) of per-seed values [S]; the s.e. is NaN for one
    seed, both NaN where every value is."""
    values = np.asarray(values, dtype=float)
    if np.all(np.isnan(values)):
        return float("nan"), float("nan")
    se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else float("nan")
    return float(values.mean()), se


# ---------------------------------------------------------------- building checks

_SATISFIED = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}


def bound(quantity: str, points: list, op: str, limit: float) -> Check:
    """Every point's value satisfies ``value op limit`` (op ``>=``, ``>``, ``<=`` or ``<``);
    reports the worst point. Points marked not converged are left out and named. The verdict:
    holds if every converged point satisfies it; contradicted if one misses it by more than
    :data:`NOISE_SE` standard errors (a point without an s.e. by any amount); else not resolved
    (also where no point has converged)."""
    if not points:
        raise ClaimError(f"no results to measure {quantity!r} on")
    unsettled = [p for p in points if not p.converged]
    points = [p for p in points if p.converged]
    note = (f"; not converged, left out: {', '.join(p.where or 'the point' for p in unsettled)} "
            f"(LLO moved > {CONVERGED_DRIFT:g} in the second half of training)") if unsettled else ""
    if not points:
        return Check(quantity, f"{op} {limit:g}", "no converged point" + note, UNRESOLVED,
                     f"{quantity}: no converged point")
    values = np.asarray([p.value for p in points])
    worst = points[int(np.argmin(values) if op.startswith(">") else np.argmax(values))]
    ok = _SATISFIED[op](values, limit)
    word = "min" if op.startswith(">") else "max"
    where = f" at {worst.where}" if worst.where else ""
    count = f"{len(points)} pts" if ok.all() else f"{np.sum(~ok)} of {len(points)} pts outside"
    measured = f"{word} {worst.value:.4f}{where} ({count}){note}"
    if ok.all():
        return Check(quantity, f"{op} {limit:g}", measured, HOLDS)
    outside = [p for p, k in zip(points, ok) if not k]
    beyond = [p for p in outside if not abs(p.value - limit) <= NOISE_SE * p.se]
    shown = beyond[0] if beyond else worst
    margin = f"{abs(shown.value - limit):.4f} beyond {limit:g}"
    noise = f", {abs(shown.value - limit) / shown.se:.1f} s.e. over seeds" if shown.se > 0 else ""
    reason = (f"{quantity}: {shown.value:.4f} at {shown.where or 'the point'}, {margin}{noise}"
              + (f" ({len(outside)} of {len(points)} pts outside)" if len(outside) > 1 else ""))
    return Check(quantity, f"{op} {limit:g}", measured, CONTRADICTED if beyond else UNRESOLVED,
                 reason if beyond else reason + f": within {NOISE_SE:g} s.e.")


def largest_rise(points: list) -> list:
    """Rises between neighbouring points (in grid order), for a 'decreasing' check."""
    return [Point(f"{a.where} -> {b.where}", b.value - a.value, a.converged and b.converged)
            for a, b in zip(points, points[1:])]


def points(pairs, prefix: str = "", value=lambda c, v: v, keep=lambda c: True, converged=None) -> list:
    """Points from ``grid`` pairs: keep those whose coordinates pass ``keep``,
    value from ``value(coords, v)``; ``converged(coords)`` (see :func:`convergence`) marks them.
    Per-seed pairs (``grid(..., seeds=True)``) give the mean of ``value`` over seeds and its s.e."""
    out = []
    for c, v in pairs:
        if keep(c):
            mean, se = mean_se(value(c, v)) if isinstance(v, np.ndarray) else (value(c, v), float("nan"))
            out.append(Point(label(c, prefix), mean, True if converged is None else converged(c), se))
    return out


def convergence(loaded: Results, **where):
    """coords -> whether every seed's run at those coordinates ended converged
    (|llo_drift| <= CONVERGED_DRIFT); always True for results that do not record ``llo_drift``."""
    if "llo_drift" not in loaded.arrays:
        return lambda c: True
    drift = {tuple(sorted(c.items())): v for c, v in _seed_max(loaded, "llo_drift", **where)}
    return lambda c: not drift.get(tuple(sorted(c.items())), 0.0) > CONVERGED_DRIFT


def _seed_max(loaded: Results, metric: str, **where) -> list:
    """Like :func:`grid`, with the largest |value| over seeds instead of the mean."""
    arr, dims = select(loaded, metric, **where)
    arr = np.nanmax(np.abs(arr), axis=dims.index("seed"))
    dims.remove("seed")
    return [({d: loaded.coords[d][i].item() for d, i in zip(dims, idx)}, float(arr[idx])) for idx in np.ndindex(arr.shape)]
