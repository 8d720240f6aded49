"""``python -m experiments NAME|all [--profile P] [--seeds N] [--table-seeds N] [--quick] [--steps N] [--force] [--out DIR]``.

``table1_authors --profile cpu`` (the default) is the published table, one vmapped program;
``table1_authors --profile faithful [--rows ROW,...] [--only-seeds K,...] [--budget MINUTES]``
trains it at the authors' size in resumable (row, seed) units (experiments/table1_units.py).
``all`` runs the cpu table only.

Runs the named panel or table (or every panel, then Table 1) from the
repository root and writes ``DIR/NAME.npz`` and ``DIR/NAME.json``. A finished
experiment whose config is unchanged is reused unless ``--force`` is given.

``--dry-run`` prints the plan as JSON instead (groups, chunks, compiled
programs, config-steps, memory per chunk, and the expected time at
``--throughput`` config-steps/s), for this machine or, with ``--backend``,
``--devices`` and ``--device-memory``, for one you do not have.

``--distributed`` joins a multi-process run (lamsim.runtime.devices.initialize_distributed);
a process gives up when not every process has joined within ``--distributed-timeout`` seconds.
Bad input ends with ``error: ...`` (one line) on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from experiments import AUTHORS_TABLES, CHECKS, NAMES, TABLES, experiment
from experiments.runner import DEFAULT_PROFILE, DEFAULT_SEEDS, run_experiment
from lamsim.errors import SEED_LIMIT, SEEDS_ALLOWED, fail, integer, positive
from lamsim.runtime.devices import DISTRIBUTED_TIMEOUT, use_all_host_cores
from lamsim.runtime.results import check_writable


def run(name: str, profile: str = DEFAULT_PROFILE, seeds=None, quick: bool = False, steps=None,
        force: bool = False, out: str = "results", table_seeds=None, units=None):
    """Run one experiment by name; returns the written npz path (None where units of a table are
    still missing). ``seeds`` applies to the panels, ``table_seeds`` to Table 1 (None: each one's
    default); ``units`` (the checked --rows, --only-seeds, --budget) trains an authors' table at
    ``profile`` (cpu unless it names one of theirs) in units (:mod:`experiments.table1_units`)."""
    exp = experiment(name)
    if units is not None:
        from experiments.table1_units import run_units

        return run_units(exp.with_profile(profile if profile in AUTHORS_PROFILES else "cpu"), table_seeds, steps=steps, quick=quick, force=force, out=out,
                         **units)
    return run_experiment(exp, profile=profile, seeds=table_seeds if name in TABLES else seeds, quick=quick,
                          steps=steps, force=force, out=out)


def dry_run(names, args) -> dict:
    """The plan of every experiment in ``names`` and their totals."""
    from lamsim.runtime.devices import memory_budget, memory_limit

    gib = None if args.device_memory is None else args.device_memory * 2 ** 30
    if args.device_memory is not None:
        positive("device_memory", args.device_memory, "GiB per device")
    backend = args.backend
    machine = {"backend": backend, "n_devices": args.devices,
               "memory_budget": memory_budget(backend, args.devices, gib) if (backend or gib) else None,
               "memory_limit": memory_limit(backend, args.devices, gib) if gib else None}
    plans = {}
    for name in names:
        exp = experiment(name)
        if _units_asked(args, name):
            exp = exp.with_profile(_authors_profile(args))
        seeds = args.table_seeds if name in TABLES else args.seeds
        plans[name] = exp.plan(profile=args.profile, seeds=exp.default_seeds if seeds is None else seeds,
                               quick=args.quick, steps=args.steps, **machine)
    total = sum(p["config_steps"] for p in plans.values())
    out = {"profile": args.profile, "machine": {k: v for k, v in machine.items() if v is not None},
           "experiments": plans, "config_steps": total,
           "compiled_programs": sum(p["compiled_programs"] for p in plans.values()),
           "chunks": sum(p["chunks"] for p in plans.values())}
    if args.throughput:
        out["expected_train_s"] = round(total / args.throughput, 1)
    return out


#: The profiles of Table 1 as the authors ran it (faithful: trained in units, experiments.table1_units).
AUTHORS_PROFILES = ("cpu", "faithful")


def _authors_profile(args) -> str:
    """The profile of an authors' table: --profile when it names one, else cpu."""
    return args.profile if args.profile in AUTHORS_PROFILES else "cpu"


def _units_asked(args, name: str) -> bool:
    """Whether ``name`` is run as units: an authors' table asked alone, other than the published
    cpu table1_authors (experiments.table1_units.uses_units)."""
    from experiments.table1_units import uses_units

    return name in AUTHORS_TABLES and args.name == name and uses_units(
        experiment(name).with_profile(_authors_profile(args)))


def check_args(args) -> dict:
    """Refuse bad flags before anything starts (the library checks the rest where it is built);
    returns the checked unit options (:func:`experiments.table1_units.check_options`), or None
    where the run is not trained in units."""
    from experiments import table1_units
    for field in ("seeds", "table_seeds"):
        if getattr(args, field) is not None:
            integer(field, getattr(args, field), 1, SEED_LIMIT, SEEDS_ALLOWED)
    if args.devices is not None:
        integer("devices", args.devices, 1)
    integer("distributed_timeout", args.distributed_timeout, 1, allowed="must be an integer >= 1 (seconds)")
    if args.throughput is not None:
        positive("throughput", args.throughput, "config-steps/s")
    if args.name != "all":
        experiment(args.name)
    if args.name in AUTHORS_TABLES and args.profile not in (DEFAULT_PROFILE,) + AUTHORS_PROFILES:
        fail("profile", args.profile, f"must be one of {', '.join(AUTHORS_PROFILES)} for {args.name} "
                                      f"(the panels' profiles do not apply to it)")
    if args.name in TABLES and args.name not in AUTHORS_TABLES and args.profile != DEFAULT_PROFILE:
        fail("profile", args.profile, f"applies to the panels, not to {args.name}: Table 1's profiles are "
                                      f"python -m experiments.table1 --profile cpu|faithful")
    units = None
    if _units_asked(args, args.name):
        units = table1_units.check_options(args, experiment(args.name).with_profile(_authors_profile(args)),
                                           args.table_seeds)
    else:
        table1_units.refuse_options(args, "python -m experiments table1_authors --profile faithful")
    if not args.dry_run:
        check_writable("out", args.out, folder=True)
    return units


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
    p.add_argument("--dry-run", action="store_true", help="print the plan (JSON) without training")
    p.add_argument("--backend", default=None, help="plan for this backend: cpu | gpu | tpu (default: this machine's)")
    p.add_argument("--devices", type=int, default=None, help="plan for this many devices (default: this machine's)")
    p.add_argument("--device-memory", type=float, default=None, help="plan for devices of this many GiB each")
    p.add_argument("--throughput", type=float, default=None, help="config-steps/s the plan's time assumes")
    p.add_argument("--distributed", action="store_true",
                   help="multi-host: call jax.distributed.initialize() and span every host's devices")
    p.add_argument("--distributed-timeout", type=int, default=DISTRIBUTED_TIMEOUT, metavar="SECONDS",
                   help=f"with --distributed: give up when not every process has joined within this many "
                        f"seconds (default {DISTRIBUTED_TIMEOUT})")
    from experiments.table1_units import add_options

    add_options(p)
    args = p.parse_args(argv)
    names = NAMES if args.name == "all" else (args.name,)
    try:
        use_all_host_cores()
        units = check_args(args)
        if args.distributed:
            from lamsim.runtime.devices import initialize_distributed

            initialize_distributed(args.distributed_timeout)
        if args.dry_run:
            print(json.dumps(dry_run(names, args), indent=1, default=str))
            return 0
        t0 = time.perf_counter()
        for name in names:
            run(name, args.profile, args.seeds, args.quick, args.steps, args.force, args.out, args.table_seeds,
                units)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"[experiments] {len(names)} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
