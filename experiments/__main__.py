"""``python -m experiments NAME|all [options]``: declare and run, arrays out (``DIR/NAME.npz`` + ``.json``).

    python -m experiments NAME|all [--profile P] [--seeds N] [--table-seeds N] [--quick] [--steps N]
        [--force] [--out DIR] [--dry-run [--backend B] [--devices N] [--device-memory GIB]
        [--throughput X] [--tflops T]] [--distributed [--distributed-timeout S]]
    python -m experiments table1_authors|table1_augmentation [--profile cpu|faithful] [--width W]
        [--mlp-width M] [--epochs N] ... [--rows ROW,...] [--only-seeds K,...] [--budget MINUTES]
    python -m experiments table1_widths [--seeds N] [--force] [--out DIR]
    python -m experiments timing [options]     # wall times per panel and profile, Table 1's update
    python -m experiments probes PANEL ...     # closed-form against trained probes

Runs the named panel or table (``all``: every panel, then Table 1 at the cpu profile; each at its
own declared seeds unless ``--seeds``/``--table-seeds`` say otherwise). A finished experiment whose
config is unchanged is reused unless ``--force`` is given. Any authors' table but the published cpu
``table1_authors`` (``--profile faithful``, another width, the augmentation candidates) trains in
resumable (row, seed) units (experiments/table1_units.py). ``--dry-run`` prints the plan as JSON
instead (groups, chunks, compiled programs, config-steps, memory per chunk, the expected time), for
this machine or, with ``--backend``, ``--devices`` and ``--device-memory``, for one you do not have.
``--distributed`` joins a multi-process run (lamsim.runtime.devices.initialize_distributed).
Bad input ends with ``error: ...`` (one line) on stderr and exit status 2, before anything trains.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from experiments import (AUTHORS_TABLES, CHECKS, NAMES, TABLES, VARIANTS, experiment, probe_readings, table1_units,
                         table1_widths, timing)
from experiments.runner import DEFAULT_PROFILE, DEFAULT_SEEDS, run_experiment
from experiments.table1 import AUTHORS_FIELDS
from lamsim.errors import SEED_LIMIT, SEEDS_ALLOWED, fail, guarded, integer, positive
from lamsim.runtime.devices import (DISTRIBUTED_TIMEOUT, initialize_distributed, memory_budget, memory_limit,
                                    use_all_host_cores)
from lamsim.runtime.results import check_writable

#: The profiles of Table 1 as the authors ran it (faithful: trained in units, experiments.table1_units).
AUTHORS_PROFILES = ("cpu", "faithful")
#: Commands that are not one experiment: name -> the module whose ``main(argv)`` runs them.
TOOLS = {"table1_widths": table1_widths, "timing": timing, "probes": probe_readings}


def _authors_table(args, name: str):
    """The authors' table ``name`` at --profile (cpu unless it names one of theirs) with the config
    fields the command line sets."""
    overrides = {field: getattr(args, field) for field in AUTHORS_FIELDS if getattr(args, field) is not None}
    return experiment(name).with_profile(args.profile if args.profile in AUTHORS_PROFILES else "cpu", **overrides)


def _declared(args, name: str):
    """The declaration ``name`` runs: an authors' table at its profile and sizes, else the experiment."""
    return _authors_table(args, name) if name in AUTHORS_TABLES else experiment(name)


def _units_asked(args, name: str) -> bool:
    """Whether ``name`` trains in units: an authors' table asked alone, other than the published cpu one."""
    return name in AUTHORS_TABLES and args.name == name and table1_units.uses_units(_authors_table(args, name))


def run(name: str, profile: str = DEFAULT_PROFILE, seeds=None, quick: bool = False, steps=None, force: bool = False,
        out: str = "results", table_seeds=None):
    """Run one experiment by name, as ``python -m experiments NAME`` does without unit options;
    returns the written npz path. ``seeds`` applies to the panels, ``table_seeds`` to Table 1 (None:
    each one's own)."""
    args = parser().parse_args([name, "--profile", profile, "--out", str(out)] + ["--quick"] * quick
                               + ["--force"] * force)
    args.seeds, args.table_seeds, args.steps = seeds, table_seeds, steps
    return _run(args, name, None)


def _run(args, name: str, units):
    """Run one experiment by name (``units``: the checked --rows, --only-seeds, --budget of a table
    trained in units, else None); returns the written npz path (None where units are still missing)."""
    exp = _declared(args, name)
    seeds = args.table_seeds if name in TABLES + tuple(VARIANTS) else args.seeds
    if units is not None:
        return table1_units.run_units(exp, seeds, steps=args.steps, quick=args.quick, force=args.force, out=args.out,
                                      **units)
    return run_experiment(exp, profile=args.profile, seeds=seeds, quick=args.quick, steps=args.steps,
                          force=args.force, out=args.out)


def dry_run(names, args) -> dict:
    """The plan of every experiment in ``names`` and their totals."""
    gib = None if args.device_memory is None else args.device_memory * 2 ** 30
    if args.device_memory is not None:
        positive("device_memory", args.device_memory, "GiB per device")
    if args.tflops is not None:
        positive("tflops", args.tflops, "sustained TFLOP/s")
    backend = args.backend
    machine = {"backend": backend, "n_devices": args.devices,
               "memory_budget": memory_budget(backend, args.devices, gib) if (backend or gib) else None,
               "memory_limit": memory_limit(backend, args.devices, gib) if gib else None}
    plans = {}
    for name in names:
        exp = _declared(args, name)
        seeds = args.table_seeds if name in TABLES + tuple(VARIANTS) else args.seeds
        extra = {"tflops": args.tflops} if name in AUTHORS_TABLES else {}
        plans[name] = exp.plan(profile=args.profile, seeds=exp.default_seeds if seeds is None else seeds,
                               quick=args.quick, steps=args.steps, **machine, **extra)
    total = sum(p["config_steps"] for p in plans.values())
    out = {"profile": args.profile, "machine": {k: v for k, v in machine.items() if v is not None},
           "experiments": plans, "config_steps": total,
           "compiled_programs": sum(p["compiled_programs"] for p in plans.values()),
           "chunks": sum(p["chunks"] for p in plans.values())}
    if args.throughput:
        out["expected_train_s"] = round(total / args.throughput, 1)
    return out


def check_args(args):
    """Refuse bad flags before anything starts (the library checks the rest where it is built);
    returns the checked unit options (:func:`experiments.table1_units.check_options`), or None
    where the run is not trained in units."""
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
    authors = args.name in AUTHORS_TABLES
    if authors and args.profile not in (DEFAULT_PROFILE,) + AUTHORS_PROFILES:
        fail("profile", args.profile, f"must be one of {', '.join(AUTHORS_PROFILES)} for {args.name} "
                                      f"(the panels' profiles do not apply to it)")
    if args.name in TABLES + tuple(VARIANTS) and not authors and args.profile != DEFAULT_PROFILE:
        fail("profile", args.profile, f"applies to the panels and the authors' tables, not to {args.name}")
    if not authors:
        for field in AUTHORS_FIELDS:
            if getattr(args, field) is not None:
                fail(field, getattr(args, field), f"sets the authors' config: table1_authors or table1_augmentation "
                                                  f"only, not {args.name}")
    units = None
    if _units_asked(args, args.name):
        units = table1_units.check_options(args, _authors_table(args, args.name), args.table_seeds)
    else:
        table1_units.refuse_options(args, "python -m experiments table1_authors --profile faithful")
    if not args.dry_run:
        check_writable("out", args.out, folder=True)
    return units


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help=f"one of {', '.join(NAMES + CHECKS + tuple(VARIANTS))}, all (the panels and "
                                f"Table 1), or a command: {', '.join(TOOLS)}")
    p.add_argument("--profile", default=DEFAULT_PROFILE,
                   help=f"training profile of the panels (default {DEFAULT_PROFILE}); cpu | faithful for the "
                        f"authors' tables")
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
    p.add_argument("--tflops", type=float, default=None, help="sustained TFLOP/s an authors' table's plan assumes")
    p.add_argument("--distributed", action="store_true",
                   help="multi-host: call jax.distributed.initialize() and span every host's devices")
    p.add_argument("--distributed-timeout", type=int, default=DISTRIBUTED_TIMEOUT, metavar="SECONDS",
                   help=f"with --distributed: give up when not every process has joined within this many "
                        f"seconds (default {DISTRIBUTED_TIMEOUT})")
    authors = p.add_argument_group("the authors' tables (table1_authors, table1_augmentation): their config")
    for field in AUTHORS_FIELDS:
        authors.add_argument(f"--{field.replace('_', '-')}", dest=field, type=int, default=None,
                             help=f"override the config's {field}")
    table1_units.add_options(p)
    return p


def experiments(args) -> int:
    use_all_host_cores()  # before JAX starts its backends: one host device per core
    names = NAMES if args.name == "all" else (args.name,)
    units = check_args(args)
    if args.distributed:
        initialize_distributed(args.distributed_timeout)
    if args.dry_run:
        print(json.dumps(dry_run(names, args), indent=1, default=str))
        return 0
    t0 = time.perf_counter()
    for name in names:
        _run(args, name, units)
    print(f"[experiments] {len(names)} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in TOOLS:
        return guarded(TOOLS[argv[0]].main, argv[1:])
    return guarded(experiments, parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
