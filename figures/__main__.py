"""``python -m figures [NAME ...|all] [--results DIR]``: arrays in, PNG and PDF out (``DIR/figures/``).

Each NAME is a module of this folder with a ``main(results_dir)`` that reads the arrays it draws
and writes ``DIR/figures/NAME.{png,pdf}``; ``all`` (the default) draws every one in
:data:`FIGURES`. A result that is missing or unreadable ends in one line ``error: ...`` and
status 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from lamsim.errors import fail, guarded

#: Every figure, in the order ``all`` draws them.
FIGURES = ("fig3", "fig4", "table1", "dynamics", "paper", "idm", "labels", "exo_state", "beyond")


def draw(names, results_dir: str) -> None:
    """Draw each figure of ``names`` from ``results_dir``."""
    for name in names:
        if name not in FIGURES:
            fail("figure", name, f"must be one of {', '.join(FIGURES)} or all")
    warnings.filterwarnings("ignore", "Mean of empty slice")  # bands over seeds where a point has none
    for name in names:
        importlib.import_module(f"figures.{name}").main(results_dir)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m figures", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", default=["all"], metavar="NAME", help=f"all, or some of {', '.join(FIGURES)}")
    p.add_argument("--results", default="results", help="results folder (default results/)")
    args = p.parse_args(argv)
    names = FIGURES if args.names == ["all"] else args.names
    return guarded(draw, names, args.results)


if __name__ == "__main__":
    sys.exit(main())
