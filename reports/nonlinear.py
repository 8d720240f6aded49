"""Claim C8, the Table 1 family: the paper's orderings as paired differences over seeds, on the
authors' protocol at their size (20 seeds, declared before seeds 5-19 ran), at the cpu profile and
on our variant."""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np

from experiments.paper import TABLE1_ORDERINGS, table1_ordering
from experiments.table1 import AUTHORS, FAITHFUL_SEEDS
from experiments.table1_units import unit_status
from lamsim.runtime.results import Results, ResultsError, load, select
from reports.checks import HOLDS, UNRESOLVED, Check, ClaimError, Missing
from reports.table1_load import FULL_SIZE
from reports.table1_stats import ORDERING_SE, paired_ordering

#: The seeds the paper reports, kept beside the 20 at the authors' size.
PAPER_SEEDS = 5


def _per_seed(table: Results, metric: str, setting: str) -> np.ndarray:
    """Table 1's ``metric`` [seed] at ``setting``."""
    try:
        arr, dims = select(table, metric, setting=setting)
    except ResultsError as e:
        raise ClaimError(str(e)) from e
    if dims != ["seed"]:
        raise ClaimError(f"Table 1's {metric} at {setting} has dims {dims}, expected ['seed']")
    return np.asarray(arr, dtype=float)


def nonlinear_lam(table: Results) -> list:
    """C8 on Table 1: each of the paper's nine orderings as a paired difference
    over seeds (a seed has the same initialisation and data in every setting):
    d_s = metric[higher, s] - metric[lower, s], judged by
    :func:`~reports.table1_stats.paired_ordering` (holds at >= 2 s.e. above 0, contradicted at
    >= 2 s.e. below, else not resolved, with the seeds it would need). With more than 5 seeds the
    first 5 seeds' difference stands beside it. The verdict word leads the measured column."""
    settings = {str(s) for s in table.coords.get("setting", [])}
    need = {s for _, lower, higher, _ in TABLE1_ORDERINGS for s in (lower, higher)}
    if not need <= settings:
        raise ClaimError(f"Table 1 lacks settings {sorted(need - settings)}")
    checks = []
    for metric, lower, higher, why in TABLE1_ORDERINGS:
        low, high = _per_seed(table, metric, lower), _per_seed(table, metric, higher)
        p = paired_ordering(low, high)
        measured = f"{p.verdict}: d = {p.mean:.3f} ± {p.se:.3f} ({p.n} seeds)"
        if p.n > PAPER_SEEDS:
            first = paired_ordering(low[:PAPER_SEEDS], high[:PAPER_SEEDS])
            measured += f"; seeds 0-{PAPER_SEEDS - 1}: {first.verdict}, d = {first.mean:.3f} ± {first.se:.3f}"
        name = table1_ordering(metric, lower, higher)
        checks.append(Check(f"{name} ({why})", f"paired d = {higher} - {lower}: mean >= {ORDERING_SE:g} s.e. > 0",
                            measured, p.verdict, f"{name}: {p.reason}" if p.reason else ""))
    return checks


def full_size(out: Path) -> Union[Results, Missing]:
    """The table at the authors' size in ``out``: its assembled table (written once every unit of
    its declared seeds exists, or an earlier one with fewer seeds), else a :class:`Missing` that
    counts its units. Never trains (experiments/table1_units.py does)."""
    try:
        return load(out / FULL_SIZE)
    except ResultsError:
        return Missing(f"results/{FULL_SIZE} missing: {unit_count(out)} (python -m experiments table1_authors "
                       f"--profile faithful)")


def unit_count(out: Path) -> str:
    """How many of the declared units at the authors' size are in ``out``, as words."""

    table = AUTHORS.with_profile("faithful")
    try:
        done, missing = unit_status(out, table, table.default_seeds)
    except ValueError as e:
        return str(e)
    return f"{len(done)} of {len(done) + len(missing)} units ({table.default_seeds} seeds x {len(table.rows)} rows)"


def nonlinear_lam_at_full_size(full: Results, out: Path) -> list:
    """C8 (:func:`nonlinear_lam`) at the authors' size (W 64, M 512), after a first check that the
    table holds the declared seeds (not resolved while units are missing: their count is named)."""

    seeds = len(full.coords["seed"])
    basis = Check("seeds at the authors' size (declared before the run)", f"{FAITHFUL_SEEDS} seeds",
                  f"{seeds} seeds", HOLDS if seeds >= FAITHFUL_SEEDS else UNRESOLVED,
                  "" if seeds >= FAITHFUL_SEEDS else
                  f"the table holds {seeds} of {FAITHFUL_SEEDS} declared seeds; {unit_count(out)} in results")
    return [basis] + nonlinear_lam(full)
