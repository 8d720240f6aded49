"""Table 1's results, read the one way that the report (:mod:`reports.table1`) and the figures
(:mod:`figures.table1`) share: which authors'-protocol table leads, the width sweep, and how many
units of the authors' size exist."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from experiments.table1 import AUTHORS
from experiments.table1_units import unit_status
from lamsim.runtime import results
from reports.table1_stats import first_seeds

#: Table 1 as the authors ran it at their size, assembled from its units (experiments/table1_units.py).
FULL_SIZE = "table1_authors_faithful"


def optional(path: Path, required=("controllable_loss", "stochastic_loss")):
    """The result at ``path`` (no suffix), or None where it was never written; a result that is
    there but unreadable raises :class:`~lamsim.runtime.results.ResultsError`."""
    if not path.with_suffix(".npz").exists() and not path.with_suffix(".json").exists():
        return None
    return results.load(path, required=required)


def width_tables(base: Path) -> list:
    """[(label, Results)] of the authors' protocol at every width found in ``base`` (the sweep's
    ``table1_authors_w*``, the cpu profile's ``table1_authors`` and the authors' size
    ``table1_authors_faithful``), narrowest first; [] with fewer than two."""
    default = optional(base / "table1_authors")
    if default is None:
        return []

    def same_protocol(t) -> bool:  # all but the widths, the profile, the seeds (and the name) as the cpu profile's
        a, b = (dict(x.meta["config"], profile=None, seeds=None, model={
            k: v for k, v in x.meta["config"]["model"].items() if k not in ("width", "mlp_width")}) for x in (t, default))
        return a == b

    seeds = len(default.coords["seed"])
    found = {default.meta["config"]["model"]["width"]: default}
    for path in sorted(base.glob("table1_authors_w*.npz")) + [base / f"{FULL_SIZE}.npz"]:
        t = optional(path.with_suffix(""))
        if t is not None and same_protocol(t) and t.meta["config"]["model"]["width"] not in found:
            # The same seeds at every width: a table with more (the authors' size) on its first ones.
            found[t.meta["config"]["model"]["width"]] = first_seeds(t, seeds)
    tables = [found[w] for w in sorted(found)]
    labels = [f"W {t.meta['config']['model']['width']}, M {t.meta['config']['model']['mlp_width']}"
              + (" (cpu)" if t is default else f" (authors' size, seeds 0-{seeds - 1})"
                 if t.meta["config"]["profile"] == "faithful" else "") for t in tables]
    return list(zip(labels, tables)) if len(tables) > 1 else []


def units_status(base: Path) -> str:
    """A line on the full-size table's units in ``base`` while it is incomplete ("" once it exists)."""
    if optional(base / FULL_SIZE) is not None:
        return ""

    table = AUTHORS.with_profile("faithful")
    done, missing = unit_status(base, table, table.default_seeds)
    return (f"**The authors' size (W 64, M 512): {len(done)} of {len(done) + len(missing)} units trained** "
            f"(`python -m experiments table1_authors --profile faithful`). Until all exist, the table below and "
            f"claim C8 rest on the cpu profile (W 16, M 128).")


def load_tables(base: Path, authors_name: Optional[str] = None) -> tuple:
    """(authors, cpu, ours) in ``base``, each None where absent: ``authors`` the authors'-protocol
    result to lead with (``authors_name``; default: the full size ``table1_authors_faithful`` once
    it exists, with the cpu profile ``table1_authors`` as ``cpu`` beside it; else the cpu profile),
    ``ours`` our variant ``table1``. The figures (:mod:`figures.table1`) read the same."""
    cpu = None
    if authors_name is None:
        authors, cpu = optional(base / FULL_SIZE), optional(base / "table1_authors")
        if authors is None:
            authors, cpu = cpu, None
    else:
        authors = optional(base / authors_name)
    ours = optional(base / "table1", required=("controllable_loss", "stochastic_loss", "action_purity"))
    return authors, cpu, ours
