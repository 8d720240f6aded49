"""Table 1 as the authors ran it, trained in resumable units: one (row, seed) run at a time.

The published ``table1_authors`` (the cpu profile) trains every run in one vmapped program
(:meth:`experiments.table1.AuthorsTable._execute`). Any other size (``table1_authors_faithful``,
``table1_authors_custom``, ``table1_authors_w{W}``) takes minutes to hours per run on a CPU, so
it is trained here as units: each (row, seed) is one call of
:func:`lamsim.gridworld.authors.train.train_runs` (``settings=[row], seeds=[seed]``; a run depends
only on (config, setting, seed)), written atomically as soon as it ends to
``OUT/<table name>_units/<row>.seed<k>.json``: the sums of its metrics window (controllable,
stochastic, controllable_train, stochastic_train, updates: scalars; counts: [codes, actions]),
its dead_code_resets [codes], the row, seed, setting, model config, profile, the trainer's
UPDATE_FORMULATION, its wall seconds and the environment. An interrupted run loses at most the
unit in flight; a rerun trains only what is missing. When every (row, seed) of the table is on
disk, the table ``OUT/<name>.npz/.json`` is built by the same code as the vmapped path
(:meth:`~experiments.table1.AuthorsTable.assemble`) and written as the runner writes it.

    python -m experiments table1 --profile faithful [--seeds N] [--rows ROW[,ROW...]]
        [--only-seeds K[,K...]] [--budget MINUTES] [--force] [--out DIR]
    python -m experiments table1_authors --profile faithful [--table-seeds N] [--rows ...]
        [--only-seeds ...] [--budget MINUTES] [--force] [--out DIR]
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Optional

import numpy as np

from experiments.runner import reusable, write_job
from experiments.table1 import AUTHORS, AuthorsTable
from lamsim.errors import fail, plain
from lamsim.gridworld.authors import train as authors_train
from lamsim.gridworld.authors.settings import knobs_of
from lamsim.gridworld.authors.train import UPDATE_FORMULATION, Window
from lamsim.runtime import results
from lamsim.runtime.devices import to_host

#: What a unit file says it is.
UNIT_KIND = "table1_authors unit"
#: The sums of :class:`lamsim.gridworld.authors.train.Window`, in its order.
WINDOW_FIELDS = ("controllable", "stochastic", "controllable_train", "stochastic_train", "counts", "updates")
_REQUIRED = ("kind", "row", "seed", "setting", "model", "window", "dead_code_resets", "update_formulation", "wall_s")
#: The command-line options of a table trained in units: (flag, attribute).
OPTIONS = (("--rows", "rows"), ("--only-seeds", "only_seeds"), ("--budget", "budget"))


def uses_units(table) -> bool:
    """Whether ``table`` is trained in units: an :class:`AuthorsTable` other than the published
    cpu-profile ``table1_authors`` (which stays one vmapped program)."""
    return isinstance(table, AuthorsTable) and table.name != AUTHORS.name


def unit_path(out, table: AuthorsTable, row: str, seed: int) -> Path:
    """``out/<table name>_units/<row>.seed<seed>.json``."""
    return Path(out) / f"{table.name}_units" / f"{row}.seed{seed}.json"


def _normal(x):
    """``x`` as JSON gives it back (tuples become lists, numpy numbers Python ones)."""
    return json.loads(json.dumps(x, default=results.json_default))


def read_unit(path) -> Optional[dict]:
    """The unit stored at ``path``, or None where there is no file. Raises
    :class:`~lamsim.errors.InputError` naming the file when it is not JSON or not a unit
    (it is never silently retrained: delete it to retrain it)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        unit = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        reason = (str(e).splitlines() or [type(e).__name__])[0]
        fail("unit", str(path), f"is not JSON ({reason}); delete the file to retrain the unit")
    if not isinstance(unit, dict) or unit.get("kind") != UNIT_KIND or any(k not in unit for k in _REQUIRED):
        fail("unit", str(path), f"is not a unit of Table 1 (a JSON object of kind {UNIT_KIND!r} with "
                                f"{', '.join(_REQUIRED)}); delete the file to retrain the unit")
    return unit


def _asked(table: AuthorsTable, row: str, seed: int) -> dict:
    return _normal({"model": table.model.to_dict(), "setting": table.rows[row].to_dict(), "seed": seed})


def matches(unit: dict, table: AuthorsTable, row: str, seed: int) -> bool:
    """Whether ``unit`` was trained with ``table``'s model config, ``row``'s setting and ``seed``."""
    return _normal({k: unit.get(k) for k in ("model", "setting", "seed")}) == _asked(table, row, seed)


def unit_status(out, table: AuthorsTable, seeds: int) -> tuple:
    """(done, missing): lists of (row, seed) of ``table`` with ``seeds`` seeds, setting-major;
    done are the units on disk in ``out`` whose config is the one asked, missing the rest.
    Raises InputError naming a unit file that is corrupt."""
    done, missing = [], []
    for row in table.rows:
        for seed in range(seeds):
            unit = read_unit(unit_path(out, table, row, seed))
            (done if unit is not None and matches(unit, table, row, seed) else missing).append((row, seed))
    return done, missing


def train_unit(table: AuthorsTable, row: str, seed: int, name: str, stream=None) -> dict:
    """Train the run (``row``, ``seed``) of ``table`` alone (progress named ``name``); returns
    its unit (JSON-able; see the module docstring)."""

    t0 = time.perf_counter()
    state, _ = authors_train.train_runs(table.model, [table.rows[row]], [seed], name, stream)
    window, resets = to_host(state.window), to_host(state.resets)
    return {"kind": UNIT_KIND, "table": table.name, "row": row, "seed": seed, "setting": table.rows[row].to_dict(),
            "model": table.model.to_dict(), "profile": table.profile,
            "update_formulation": authors_train.UPDATE_FORMULATION, "wall_s": time.perf_counter() - t0,
            "window": {f: np.asarray(getattr(window, f))[0] for f in WINDOW_FIELDS},
            "dead_code_resets": np.asarray(resets)[0], "environment": results.environment_info()}


def assemble(out, table: AuthorsTable, seeds: int) -> tuple:
    """(table Results, summed wall seconds of its units) from every unit of ``table`` in ``out``
    (all must be there: :func:`unit_status`), built as the vmapped path builds it."""

    units = [read_unit(unit_path(out, table, row, seed)) for row in table.rows for seed in range(seeds)]
    window = Window(*(np.asarray([u["window"][f] for u in units], np.float32) for f in WINDOW_FIELDS))
    knobs = knobs_of([table.rows[row] for row in table.rows for _ in range(seeds)], table.model)
    knobs = type(knobs)(*(np.asarray(k) for k in knobs))
    resets = np.asarray([u["dead_code_resets"] for u in units], np.int32)
    produced = table.assemble(seeds, window, knobs, resets)
    produced.meta["update_formulation"] = sorted({u["update_formulation"] for u in units})
    return produced, float(sum(u["wall_s"] for u in units))


def parse_rows(text, table: AuthorsTable = AUTHORS) -> list:
    """``ROW[,ROW...]`` as a list of row names of ``table`` (InputError naming ``rows`` otherwise)."""
    names = [n.strip() for n in str(text).split(",")]
    if not names or any(n not in table.rows for n in names) or len(set(names)) != len(names):
        fail("rows", text, f"must be distinct row names separated by commas, from {', '.join(table.rows)}")
    return names


def parse_seeds(text, seeds: int) -> list:
    """``K[,K...]`` as a list of distinct seed indices in [0, seeds) (InputError naming ``only_seeds``)."""
    try:
        ks = [int(k) for k in str(text).split(",")]
    except ValueError:
        ks = None
    if not ks or any(k < 0 or k >= seeds for k in ks) or len(set(ks)) != len(ks):
        fail("only_seeds", text, f"must be distinct seed indices in [0, {seeds - 1}] separated by commas "
                                 f"(the table has {seeds} seeds)")
    return ks


def parse_budget(value) -> float:
    """A budget in minutes as a finite float >= 0 (InputError naming ``budget``)."""
    try:
        minutes = float(plain(value))
    except (TypeError, ValueError):
        minutes = math.nan
    if isinstance(value, bool) or not math.isfinite(minutes) or minutes < 0:
        fail("budget", value, "must be a number of minutes >= 0 (no new unit starts after it; the first always does)")
    return minutes


def run_units(table: AuthorsTable, seeds: Optional[int] = None, rows=None, only_seeds=None, budget=None,
              force: bool = False, out="results", steps: Optional[int] = None, quick: bool = False,
              stream=None) -> Optional[Path]:
    """Train the units of ``table`` not yet in ``out`` (each (row, seed) of ``rows`` x
    ``only_seeds``; default all), one per ``train_runs`` call, each written as it ends; then,
    when every unit of the table is there, write the table. ``rows``/``only_seeds`` are lists or
    comma-separated text; ``budget``: minutes after which no new unit starts (the first always
    does; a unit in flight finishes); ``force`` retrains every asked unit. A unit on disk with
    another config is retrained and overwritten. Returns the table's npz path, or None when units
    are missing (named on ``stream``). Raises InputError for bad input or a corrupt unit file."""
    stream = stream or sys.stderr
    seeds = table.default_seeds if seeds is None else seeds
    job = table.job(seeds=seeds, steps=steps, quick=quick)  # checks seeds and steps
    rows = list(table.rows) if rows is None else parse_rows(",".join(rows) if isinstance(rows, list) else rows, table)
    only = list(range(seeds)) if only_seeds is None else parse_seeds(
        ",".join(map(str, only_seeds)) if isinstance(only_seeds, list) else only_seeds, seeds)
    budget = None if budget is None else parse_budget(budget)
    out, tag = Path(out), f"[{table.name}]"
    main = out / f"{table.name}.npz"
    if not force and reusable(out, job.outputs, job.config):
        print(f"{tag} up to date in {out} (use --force to recompute)", file=stream)
        return main

    todo, asked = [], {(row, seed) for row in rows for seed in only}
    # Every unit is read before any trains (a corrupt file stops the run at once); seed-major, so
    # that an interrupted run leaves whole seeds of the table.
    for seed in range(seeds):
        for row in table.rows:
            unit = None if force and (row, seed) in asked else read_unit(unit_path(out, table, row, seed))
            if (row, seed) not in asked:
                continue
            if unit is not None and matches(unit, table, row, seed):
                if unit["update_formulation"] != UPDATE_FORMULATION:
                    print(f"{tag} note: {row} seed {seed} was trained with update formulation "
                          f"{unit['update_formulation']!r}, the trainer now has {UPDATE_FORMULATION!r}", file=stream)
                continue
            if unit is not None:
                print(f"{tag} {unit_path(out, table, row, seed)} holds another config (model, setting or seed): "
                      f"retraining it and overwriting the file", file=stream)
            todo.append((row, seed))
    t0, walls = time.perf_counter(), []
    for i, (row, seed) in enumerate(todo, 1):
        if budget is not None and walls and time.perf_counter() - t0 >= 60 * budget:
            print(f"{tag} budget of {budget:g} min spent: {len(todo) - i + 1} unit(s) not started", file=stream)
            break
        print(f"{tag} unit {i} of {len(todo)}: {row} seed {seed}", file=stream, flush=True)
        unit = train_unit(table, row, seed, f"{table.name} {row} seed {seed}, unit {i} of {len(todo)}", stream)
        path = results.write_json(unit_path(out, table, row, seed), unit)
        walls.append(unit["wall_s"])
        left = len(todo) - i
        eta = float(np.mean(walls)) * left
        print(f"{tag} {row} seed {seed} done in {unit['wall_s']:.1f} s ({path}); {left} unit(s) left, "
              f"about {eta:.0f} s ({eta / 60:.1f} min) to go", file=stream, flush=True)
    done, missing = unit_status(out, table, seeds)
    if missing:
        print(f"{tag} {len(done)} of {len(done) + len(missing)} units done, table not written; missing: "
              + ", ".join(f"{row} seed {seed}" for row, seed in missing), file=stream)
        return None
    produced, wall_s = assemble(out, table, seeds)
    write_job(out, job, {table.name: produced}, wall_s)
    print(f"{tag} wrote {main} from {len(done)} units ({wall_s:.1f} s of training)", file=stream)
    return main


def add_options(parser) -> None:
    """Add --rows, --only-seeds and --budget to an argparse ``parser`` (values checked later, so
    that a bad one gives one line naming its field)."""
    group = parser.add_argument_group("a table trained in units (any size but the published cpu table)")
    group.add_argument("--rows", default=None, metavar="ROW[,ROW...]", help="train only these rows' units")
    group.add_argument("--only-seeds", default=None, metavar="K[,K...]", help="train only these seed indices' units")
    group.add_argument("--budget", default=None, metavar="MINUTES",
                       help="start no new unit after this many minutes (a unit in flight finishes)")


def refuse_options(args, why: str) -> None:
    """InputError naming the first unit option given in ``args`` (they apply to units only)."""
    for flag, field in OPTIONS:
        if getattr(args, field, None) is not None:
            fail(field, getattr(args, field), f"applies to a table trained in units (--profile faithful); {why}")


def check_options(args, table: AuthorsTable, seeds: Optional[int]) -> dict:
    """The unit options of ``args`` checked, as keyword arguments of :func:`run_units`."""
    seeds = table.default_seeds if seeds is None else seeds
    return {"rows": None if args.rows is None else parse_rows(args.rows, table),
            "only_seeds": None if args.only_seeds is None else parse_seeds(args.only_seeds, seeds),
            "budget": None if args.budget is None else parse_budget(args.budget)}
