"""Claim C8, the Table 1 family: the paper's orderings as paired differences over seeds, on the
authors' protocol (at their size once all its units exist, else at the cpu profile) and on our variant."""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np

from experiments.paper import ORDERING_SE, TABLE1_ORDERINGS, paired_ordering, table1_ordering
from lamsim.runtime.results import Results, ResultsError, load, select
from reports.checks import Check, ClaimError, Missing
from reports.table1_load import FULL_SIZE


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
    d_s = metric[higher, s] - metric[lower, s]. An ordering holds if mean(d)
    is positive and at least ORDERING_SE (2) standard errors (std(d, ddof=1) /
    sqrt(seeds)); "not resolved" (0 < mean(d) < 2 s.e.) and "FAIL" (mean(d)
    <= 0) both fail the check, so C8 passes only if all nine hold. The
    verdict word leads the measured column."""
    settings = {str(s) for s in table.coords.get("setting", [])}
    need = {s for _, lower, higher, _ in TABLE1_ORDERINGS for s in (lower, higher)}
    if not need <= settings:
        raise ClaimError(f"Table 1 lacks settings {sorted(need - settings)}")
    checks = []
    for metric, lower, higher, why in TABLE1_ORDERINGS:
        p = paired_ordering(_per_seed(table, metric, lower), _per_seed(table, metric, higher))
        checks.append(Check(f"{table1_ordering(metric, lower, higher)} ({why})",
                            f"paired d = {higher} - {lower}: mean >= {ORDERING_SE:g} s.e. > 0",
                            f"{p.verdict}: d = {p.mean:.3f} ± {p.se:.3f} ({p.n} seeds)", p.verdict == "holds"))
    return checks


# FULL_SIZE: Table 1 at the authors' size, trained in units (hours on a CPU): never started by a
# check, judged once every unit exists (experiments/table1_units.py).


def full_size(out: Path) -> Union[Results, Missing]:
    """The full-size table in ``out``, or a :class:`Missing` that counts its units and names the missing ones."""
    try:
        return load(out / FULL_SIZE)
    except ResultsError:
        pass
    from experiments.table1 import AUTHORS
    from experiments.table1_units import unit_status

    table = AUTHORS.with_profile("faithful")
    try:
        done, missing = unit_status(out, table, table.default_seeds)
    except ValueError as e:
        return Missing(f"{FULL_SIZE}: {e}")
    by_row = {}
    for row, seed in missing:
        by_row.setdefault(row, []).append(str(seed))
    return Missing(f"{FULL_SIZE} has {len(done)} of {len(done) + len(missing)} units (python -m experiments "
                   f"table1_authors --profile faithful); missing: "
                   + "; ".join(f"{row} seed{'s' if len(k) > 1 else ''} {', '.join(k)}" for row, k in by_row.items()))


def nonlinear_lam_at_full_size(full: Union[Results, Missing], cpu: Results) -> list:
    """C8 (:func:`nonlinear_lam`) at the authors' size (W 64, M 512) once all its units exist;
    until then on the cpu profile, named as such in a first row that says what is missing."""
    basis = "the authors' size (W 64, M 512) once all its units exist, else the cpu profile (W 16, M 128)"
    if isinstance(full, Results):
        return [Check("basis of this verdict", basis, "the authors' size", True)] + nonlinear_lam(full)
    return [Check("basis of this verdict", basis, f"cpu profile: {full.reason}", True)] + nonlinear_lam(cpu)
