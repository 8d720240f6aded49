"""``python -m experiments NAME|all [--profile P] [--seeds N] [--table-seeds N] [--quick] [--steps N] [--force] [--out DIR]``.

Runs the named panel or table (or every panel, then Table 1) from the
repository root and writes ``DIR/NAME.npz`` and ``DIR/NAME.json``. A finished
experiment whose config is unchanged is reused unless ``--force`` is given.
"""
from __future__ import annotations

import argparse
import sys
import time

from experiments import CHECKS, NAMES, PANELS, experiment
from experiments.runner import DEFAULT_PROFILE, DEFAULT_SEEDS, run_experiment
from lamsim.runtime.devices import use_all_host_cores


def run(name: str, profile: str = DEFAULT_PROFILE, seeds=None, quick: bool = False, steps=None,
        force: bool = False, out: str = "results", table_seeds=None):
    """Run one experiment by name; returns the written npz path. ``seeds``
    applies to the panels, ``table_seeds`` to Table 1 (None: each one's default)."""
    exp = experiment(name)
    return run_experiment(exp, profile=profile, seeds=seeds if name in PANELS else table_seeds, quick=quick,
                          steps=steps, force=force, out=out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help=f"one of {', '.join(NAMES + CHECKS)}, or all (the panels and Table 1)")
    p.add_argument("--profile", default=DEFAULT_PROFILE, help=f"training profile of the panels (default {DEFAULT_PROFILE})")
    p.add_argument("--seeds", type=int, default=None, help=f"seeds per panel setting (default {DEFAULT_SEEDS})")
    p.add_argument("--table-seeds", type=int, default=None, help="seeds of Table 1 (default: the table's own)")
    p.add_argument("--quick", action="store_true",
                   help="each panel's reduced grid at the profile's full steps (verdicts keep their meaning)")
    p.add_argument("--steps", type=int, default=None, help="override every step count (smoke runs)")
    p.add_argument("--force", action="store_true", help="recompute even if the results are up to date")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--distributed", action="store_true",
                   help="multi-host: call jax.distributed.initialize() and span every host's devices")
    args = p.parse_args(argv)
    use_all_host_cores()
    if args.distributed:
        from lamsim.runtime.devices import initialize_distributed

        initialize_distributed()
    names = NAMES if args.name == "all" else (args.name,)
    t0 = time.perf_counter()
    try:
        for name in names:
            run(name, args.profile, args.seeds, args.quick, args.steps, args.force, args.out, args.table_seeds)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[experiments] {len(names)} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
