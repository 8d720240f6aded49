"""``python -m experiments NAME|all [--profile fast|faithful] [--seeds N] [--quick] [--force] [--out DIR]``.

Runs the named panel (or every panel, then Table 1) and writes ``DIR/NAME.npz``
and ``DIR/NAME.json``. A finished experiment whose config is unchanged is not
recomputed unless ``--force`` is given.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time

from lamsim.devices import use_all_host_cores

PANELS = ("fig3_left", "fig3_middle", "fig3_right", "fig4_left", "fig4_middle", "fig4_right")
TABLES = ("table1",)
NAMES = PANELS + TABLES


def run(name: str, profile: str = "fast", seeds: int = 3, quick: bool = False, force: bool = False,
        out: str = "results", table_seeds: int = 5):
    """Run one experiment by name; returns the written npz path."""
    if name not in NAMES:
        raise ValueError(f"experiment={name!r} is invalid: must be one of {', '.join(NAMES)} or all")
    module = importlib.import_module(f"experiments.{name}")
    if name in TABLES:
        return module.run(seeds=table_seeds, quick=quick, force=force, out=out)
    from experiments.runner import run_experiment

    return run_experiment(module.EXPERIMENT, profile=profile, seeds=seeds, quick=quick, force=force, out=out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help=f"one of {', '.join(NAMES)}, or all")
    p.add_argument("--profile", default="fast", help="fast (default) | faithful (the paper's step counts)")
    p.add_argument("--seeds", type=int, default=3, help="seeds per panel setting (default 3)")
    p.add_argument("--table-seeds", type=int, default=5, help="seeds of Table 1 (default 5, the paper's)")
    p.add_argument("--quick", action="store_true", help="reduced grids and steps (tests, smoke runs)")
    p.add_argument("--force", action="store_true", help="recompute even if the results are up to date")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--distributed", action="store_true",
                   help="multi-host: call jax.distributed.initialize() and span every host's devices")
    args = p.parse_args(argv)
    use_all_host_cores()
    if args.distributed:
        from lamsim.devices import initialize_distributed

        initialize_distributed()
    names = NAMES if args.name == "all" else (args.name,)
    t0 = time.perf_counter()
    try:
        for name in names:
            run(name, args.profile, args.seeds, args.quick, args.force, args.out, args.table_seeds)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[experiments] {len(names)} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
