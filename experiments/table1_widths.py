"""The width sweep behind the ``cpu`` profile of Table 1 as the authors ran it.

The authors' protocol (:data:`experiments.table1.AUTHORS`) at each width of :data:`WIDTHS`, with
the authors' schedule (400 epochs, batch 1,024), rows and seeds unchanged: W filters in every
hidden convolution and an MLP of width M = 8 W (the authors' 64 and 512 keep that ratio). The
``cpu`` profile's width is one of them, and its run is the published ``table1_authors`` itself;
the others are stored as ``table1_authors_w{W}`` (same arrays and dims: setting, seed).
``python -m reports table1`` puts every width it finds side by side in ``table1.md``.

Because the cpu width's entry is the published table, ``--seeds`` other than 5 (or ``--force``)
retrains and rewrites ``table1_authors`` in ``--out``; give another ``--out`` for a separate sweep.

    python -m experiments table1_widths [--seeds N] [--force] [--out DIR]
"""
from __future__ import annotations

import argparse
from typing import Optional

from experiments.runner import run_experiment
from experiments.table1 import AUTHORS, MLP_RATIO, AuthorsTable
from lamsim.errors import SEED_LIMIT, SEEDS_ALLOWED, integer
from lamsim.runtime.devices import use_all_host_cores
from lamsim.runtime.results import check_writable

#: Filters W of the sweep, narrowest first; the MLP is MLP_RATIO x W wide.
WIDTHS = (4, 8, 16)


def table_at(width: int) -> AuthorsTable:
    """The authors' table at ``width`` filters and an MLP of MLP_RATIO x ``width``; named
    ``table1_authors`` at the cpu profile's width, ``table1_authors_w{width}`` otherwise
    (:func:`experiments.table1.authors_name`)."""
    return AUTHORS.with_profile("cpu", width=width, mlp_width=MLP_RATIO * width)


def run(seeds: Optional[int] = None, force: bool = False, out: str = "results") -> list:
    """Run (or reuse) every width; returns the written npz paths, narrowest first."""
    return [run_experiment(table_at(w), seeds=seeds, force=force, out=out) for w in WIDTHS]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments table1_widths", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=None,
                   help=f"seeds per row (default {AUTHORS.default_seeds}; another count rewrites the published "
                        f"table1_authors in --out)")
    p.add_argument("--force", action="store_true", help="recompute even if a width's result is up to date")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    args = p.parse_args(argv)
    use_all_host_cores()
    if args.seeds is not None:
        integer("seeds", args.seeds, 1, SEED_LIMIT, SEEDS_ALLOWED)
    check_writable("out", args.out, folder=True)
    run(args.seeds, args.force, args.out)
    return 0
