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


class Point(NamedTuple):
    """One measured number and where it was measured (a readable label); ``converged`` False
    where training had not settled there (|llo_drift| above CONVERGED_DRIFT): no verdict rests on it."""

    where: str
    value: float
    converged: bool = True


class Check(NamedTuple):
    """One quantity measured against its threshold."""

    quantity: str
    threshold: str
    measured: str
    holds: bool


class Claim(NamedTuple):
    """A claim's verdict: PASS iff it has checks and all hold; ``reason`` says
    why nothing was measured (then FAIL, or SKIP when ``skipped``)."""

    id: str
    statement: str
    checks: tuple
    reason: str = ""
    skipped: bool = False

    @property
    def verdict(self) -> str:
        if self.skipped:
            return "SKIP"
        return "PASS" if self.checks and all(c.holds for c in self.checks) else "FAIL"


class Missing(NamedTuple):
    """A result that could not be loaded or produced, and why."""

    reason: str
    skipped: bool = False


# ---------------------------------------------------------------- selecting results

def grid(loaded: Results, metric: str, **where) -> list:
    """``metric`` at the coordinates ``where``, mean over seeds, as a list of
    (coordinates of the remaining axes as a dict, value), in grid order."""
    try:
        arr, dims = select(loaded, metric, **where)
    except ResultsError as e:
        raise ClaimError(str(e)) from e
    arr = arr.mean(axis=dims.index("seed"))
    dims.remove("seed")
    out = []
    for idx in np.ndindex(arr.shape):
        coords = {d: loaded.coords[d][i].item() for d, i in zip(dims, idx)}
        out.append((coords, float(arr[idx])))
    return out


def label(coords: dict, prefix: str = "") -> str:
    text = ", ".join(f"{k}={_fmt(v)}" for k, v in coords.items())
    return f"{prefix} {text}".strip()


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# ---------------------------------------------------------------- building checks

def bound(quantity: str, points: list, op: str, limit: float) -> Check:
    """Every point's value satisfies ``value op limit`` (op ``>=``, ``>``, ``<=`` or
    ``<``); reports the worst point. Points marked not converged are left out and named."""
    if not points:
        raise ClaimError(f"no results to measure {quantity!r} on")
    unsettled = [p for p in points if not p.converged]
    points = [p for p in points if p.converged]
    note = (f"; not converged, left out: {', '.join(p.where or 'the point' for p in unsettled)} "
            f"(LLO moved > {CONVERGED_DRIFT:g} in the second half of training)") if unsettled else ""
    if not points:
        return Check(quantity, f"{op} {limit:g}", "no converged point" + note, False)
    values = np.asarray([p.value for p in points])
    worst = points[int(np.argmin(values) if op.startswith(">") else np.argmax(values))]
    ok = {">=": values >= limit, ">": values > limit, "<=": values <= limit, "<": values < limit}[op]
    word = "min" if op.startswith(">") else "max"
    where = f" at {worst.where}" if worst.where else ""
    count = f"{len(points)} pts" if ok.all() else f"{np.sum(~ok)} of {len(points)} pts outside"
    return Check(quantity, f"{op} {limit:g}", f"{word} {worst.value:.4f}{where} ({count}){note}", bool(ok.all()))


def ordered(quantity: str, low: tuple, high: tuple) -> Check:
    """``low`` = (name, value) is strictly below ``high``."""
    (low_name, low_value), (high_name, high_value) = low, high
    return Check(quantity, f"{low_name} < {high_name}", f"{low_value:.3f} < {high_value:.3f}",
                 bool(low_value < high_value))


def largest_rise(points: list) -> list:
    """Rises between neighbouring points (in grid order), for a 'decreasing' check."""
    return [Point(f"{a.where} -> {b.where}", b.value - a.value, a.converged and b.converged)
            for a, b in zip(points, points[1:])]


def points(pairs, prefix: str = "", value=lambda c, v: v, keep=lambda c: True, converged=None) -> list:
    """Points from ``grid`` pairs: keep those whose coordinates pass ``keep``,
    value from ``value(coords, v)``; ``converged(coords)`` (see :func:`convergence`) marks them."""
    return [Point(label(c, prefix), value(c, v), True if converged is None else converged(c))
            for c, v in pairs if keep(c)]


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
