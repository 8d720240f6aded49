"""The one runner: a declarative sweep in, named arrays out.

A :class:`Sweep` is a base :class:`~lamsim.linear.settings.Setting`, ordered axes and a
seed count. :func:`run_sweep` expands the grid, groups settings by array shape
(one compiled program per group; d_a and d_z are padded to the group's largest
value and masked, so a d_z sweep compiles once), trains each group in chunks that
fit a memory budget (and, on CPU, the cache), and evaluates every (setting, seed) exactly.

Axes and sweeps are checked where they are built, and a sweep whose smallest chunk
cannot fit the devices is refused when it is planned, before anything is
allocated: both raise :class:`~lamsim.errors.InputError`.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import time
from typing import Iterable, NamedTuple, Optional, Sequence

import jax
import numpy as np

from lamsim.errors import SEED_LIMIT, fail, integer, plain, real
from lamsim.linear import world
from lamsim.linear import paper_probes
from lamsim.linear.evaluate import METRICS, evaluate_run, exact_llo, paper_design, theory_metrics
from lamsim.linear.optimum import OPTIMUM_METRICS, minimise, optimum_metrics
from lamsim.linear.probes import DEFAULT_RIDGE
from lamsim.linear.fields import FIELDS, RUN, STATE_NOISE
from lamsim.linear.settings import Setting
from lamsim.linear.state import STATE_METRICS
from lamsim.linear.train import (GroupShape, bytes_per_run, check_memory, chunk_size, group_key, group_shape,
                                 seed_inputs, train_settings)
from lamsim.runtime import devices
from lamsim.runtime.progress import Progress
from lamsim.runtime.results import Results

#: The most settings a sweep's grid may hold: every one is built and checked as a Python
#: object before anything runs.
MAX_SETTINGS = 1_000_000
#: Names the results file already uses (the seed axis, the npz's ``dims``, the metrics): no axis takes them.
RESERVED_NAMES = ("seed", "dims") + METRICS + OPTIMUM_METRICS
#: The backends a plan may be made for.
BACKENDS = ("cpu", "gpu", "tpu")
#: The Setting fields an axis may set (seeds come from the sweep).
SWEPT_FIELDS = tuple(f.name for f in FIELDS if f.role != RUN)


def _is_real(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sequence(field: str, value, axis) -> tuple:
    """``value`` (a list, tuple, range or 1-D array) as a tuple; else fail naming ``field``."""
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable) \
            or (isinstance(value, np.ndarray) and value.ndim != 1):
        fail(field, value, f"axis {axis!r}: must be a sequence (a list, tuple, range or 1-D array)")
    return tuple(value)


@dataclasses.dataclass(frozen=True)
class Axis:
    """One sweep axis: coordinate ``values`` and the Setting fields each one sets.

    ``Axis.of("d_z", [1, 2])`` sets the field of the same name; a general axis
    can set several fields per value, e.g. noise kind and its sigma.
    """

    name: str
    values: tuple
    overrides: tuple

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            fail("name", self.name, "must be a non-empty string (the axis's name in the results)")
        if self.name in RESERVED_NAMES:
            fail("name", self.name, f"must not be one of {', '.join(RESERVED_NAMES)} (names the results use)")
        values = tuple(plain(v) for v in _sequence("values", self.values, self.name))
        if not values:
            fail("values", values, f"axis {self.name!r} needs at least one value")
        kinds = {bool if isinstance(v, bool) else str if isinstance(v, str) else float if _is_real(v) else None
                 for v in values}
        if len(kinds) != 1 or None in kinds:
            fail("values", values, f"axis {self.name!r}: must be all numbers, all booleans or all strings "
                                   "(they are the coordinates of the results)")
        repeated = [v for i, v in enumerate(values) if v in values[:i]]
        if repeated:
            fail("values", values, f"axis {self.name!r}: {repeated[0]!r} repeats")
        overrides = _sequence("overrides", self.overrides, self.name)
        if len(overrides) != len(values):
            fail("overrides", overrides, f"axis {self.name!r}: must hold one dict of Setting fields per value "
                                         f"({len(values)})")
        for override in overrides:
            if not isinstance(override, dict):
                fail("overrides", override, f"axis {self.name!r}: each must be a dict of Setting fields")
            unknown = [k for k in override if k not in SWEPT_FIELDS]
            if unknown:
                fail("overrides", override, f"axis {self.name!r}: {unknown[0]!r} is not a field of Setting "
                                            f"other than seed ({', '.join(SWEPT_FIELDS)})")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "overrides", overrides)

    @staticmethod
    def of(name: str, values: Sequence) -> "Axis":
        """The axis over the Setting field ``name`` taking each of ``values``."""
        if name not in SWEPT_FIELDS:
            fail("name", name, f"must be a field of Setting other than seed (seeds come from Sweep.seeds and "
                               f"first_seed): {', '.join(SWEPT_FIELDS)}")
        values = _sequence("values", values, name)
        return Axis(name, values, tuple({name: v} for v in values))


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A grid of settings (the product of ``axes`` over ``base``) run for ``seeds`` seeds from
    ``first_seed``; ``ridge`` is the probes' delta, ``curve`` the number of evaluations along
    training (0: the end only). ``optimum=True`` also finds the minimum of every setting's
    expected loss numerically (:func:`lamsim.linear.optimum.minimise`, per setting and seed) and
    stores :data:`~lamsim.linear.optimum.OPTIMUM_METRICS`; off by default, as it costs more than
    an ``exact`` training at d_o 128."""

    name: str
    base: Setting
    axes: tuple = ()
    seeds: int = 3
    first_seed: int = 0
    ridge: float = DEFAULT_RIDGE
    curve: int = 0
    optimum: bool = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            fail("name", self.name, "must be a non-empty string")
        if not isinstance(self.base, Setting):
            fail("base", self.base, "must be a Setting")
        if not isinstance(self.axes, (tuple, list)) or not all(isinstance(a, Axis) for a in self.axes):
            fail("axes", self.axes, "must be a tuple of Axis (Axis.of(field, values) or Axis(name, values, overrides))")
        object.__setattr__(self, "axes", tuple(self.axes))
        names = [a.name for a in self.axes]
        if len(set(names)) != len(names):
            fail("axes", names, "each axis name may appear once")
        seeds = integer("seeds", self.seeds, 1)
        first_seed = integer("first_seed", self.first_seed, 0, SEED_LIMIT - 1,
                             "must be an integer in [0, 2**31) (a jax.random key)")
        if first_seed + seeds > SEED_LIMIT:
            fail("seeds", seeds, f"first_seed + seeds must be <= 2**31 (first_seed={first_seed}): every seed "
                                 "becomes a jax.random key, a 32-bit integer")
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "first_seed", first_seed)
        ridge = real("ridge", self.ridge)
        if ridge < 0:
            fail("ridge", ridge, "must be a finite number >= 0")
        object.__setattr__(self, "ridge", ridge)
        object.__setattr__(self, "curve", integer("curve", self.curve, 0,
                                                  allowed="must be an integer >= 0 (0: no training curve)"))
        if not isinstance(self.optimum, bool):
            fail("optimum", self.optimum, "must be True (also compute the numerical optimum) or False")
        if self.curve and "step" in names:
            fail("axes", names, "no axis may be named 'step' when curve > 0 (the curve's own axis)")
        n_settings = math.prod(len(a.values) for a in self.axes)
        if n_settings > MAX_SETTINGS:
            fail("axes", tuple(len(a.values) for a in self.axes),
                 f"the grid holds {n_settings:,} settings, more than {MAX_SETTINGS:,}; split the sweep")
        steps = {s.train_steps for _, s in self.settings()}
        if self.curve and len(steps) > 1:
            fail("curve", self.curve, f"the settings train for different step counts {sorted(steps)}")
        if self.curve > min(steps):
            fail("curve", self.curve, f"must be <= steps={min(steps)}")

    @property
    def shape(self) -> tuple:
        curve = (self.curve,) if self.curve else ()
        return tuple(len(a.values) for a in self.axes) + curve + (self.seeds,)

    def checkpoints(self) -> tuple:
        """The steps a training curve is evaluated at: ``curve`` of them, evenly
        spaced, the last one the end of training."""
        if not self.curve:
            return ()
        steps = self.base.replace(**{k: v for a in self.axes for k, v in a.overrides[0].items()}).train_steps
        return tuple(round(steps * (i + 1) / self.curve) for i in range(self.curve))

    def settings(self) -> list:
        """[(grid index, Setting)] over the axes' product (seed excluded)."""
        out = []
        for index in itertools.product(*(range(len(a.values)) for a in self.axes)):
            fields = {}
            for axis, i in zip(self.axes, index):
                fields.update(axis.overrides[i])
            out.append((index, self.base.replace(**fields)))
        return out

    def seed_list(self) -> list:
        return list(range(self.first_seed, self.first_seed + self.seeds))


class GroupPlan(NamedTuple):
    """One compiled program of a sweep: its shape, the distinct training
    settings it trains, and how they are cut into chunks."""

    shape: GroupShape
    members: list
    chunk: int
    n_chunks: int


class Plan(NamedTuple):
    """How a sweep will run: ``readers`` maps each distinct training setting to
    the (grid index, setting) pairs read from it; ``groups`` are the compiled
    programs; ``config_steps`` counts Adam steps over every run."""

    readers: dict
    groups: list
    config_steps: int
    n_seeds: int


def plan_sweep(sweep: Sweep, memory_budget: Optional[int] = None, n_devices: Optional[int] = None,
               backend: Optional[str] = None, memory_limit: Optional[int] = None) -> Plan:
    """Group, deduplicate and chunk ``sweep`` without training anything
    (``n_devices``, ``backend``, the memory budget and the memory limit default
    to this process's: :func:`~lamsim.runtime.devices.memory_budget`,
    :func:`~lamsim.runtime.devices.memory_limit`).

    The budget sizes the chunks; a sweep whose smallest chunk cannot fit the
    limit (where it is unknown, the budget) is refused: :func:`check_memory`."""
    if not isinstance(sweep, Sweep):
        fail("sweep", sweep, "must be a Sweep")
    beyond = next((s for _, s in sweep.settings() if s.beyond), None)
    if beyond is not None:
        field = "features" if beyond.features != "identity" else "idm_horizon"
        fail(field, getattr(beyond, field), f"must be {'identity' if field == 'features' else 1} in a sweep: the "
                                            "window trainer runs it (python -m lamsim run, lamsim.run_window)")
    if backend is not None and backend not in BACKENDS:
        fail("backend", backend, f"must be one of {', '.join(BACKENDS)}")
    n_devices = jax.device_count() if n_devices is None else integer("n_devices", n_devices, 1)
    backend = jax.default_backend() if backend is None else backend
    if memory_budget is None:
        memory_budget = devices.memory_budget(backend, n_devices)
    memory_budget = integer("memory_budget", memory_budget, 1, allowed="must be an integer >= 1 (bytes)")
    if memory_limit is None:
        memory_limit = devices.memory_limit(backend, n_devices)
    memory_limit = memory_budget if memory_limit is None else integer(
        "memory_limit", memory_limit, 1, allowed="must be an integer >= 1 (bytes)")
    n_seeds = sweep.seeds
    # Settings that differ only in how they are read (latent, probe, action target) train once.
    readers: dict = {}
    for index, s in sweep.settings():
        readers.setdefault(s.training(), []).append((index, s))
    by_key: dict = {}
    for t in readers:
        by_key.setdefault(group_key(t), []).append(t)
    groups = []
    for members in by_key.values():
        shape = group_shape(members)
        check_memory(shape, n_seeds, n_devices, backend, memory_limit)
        chunk = chunk_size(shape, len(members), n_seeds, memory_budget, n_devices, backend)
        groups.append(GroupPlan(shape, members, chunk, math.ceil(len(members) / chunk)))
    return Plan(readers, groups, sum(t.train_steps for t in readers) * n_seeds, n_seeds)


def describe_plan(plan: Plan, throughput: Optional[float] = None) -> dict:
    """A JSON-able summary of ``plan``: groups, chunks, compiles, memory per
    chunk and, at ``throughput`` config-steps/s, the expected training time."""
    groups = [{"shape": g.shape._asdict(), "settings": len(g.members), "chunk_settings": g.chunk,
               "chunks": g.n_chunks, "chunk_memory_mib": round(bytes_per_run(g.shape) * g.chunk * plan.n_seeds / 2 ** 20, 1),
               "config_steps": g.shape.steps * len(g.members) * plan.n_seeds} for g in plan.groups]
    out = {"trained_settings": len(plan.readers), "read_settings": sum(len(r) for r in plan.readers.values()),
           "seeds": plan.n_seeds, "groups": groups, "compiled_programs": len(groups),
           "chunks": sum(g.n_chunks for g in plan.groups), "config_steps": plan.config_steps}
    if throughput:
        out["throughput_config_steps_per_s"] = throughput
        out["expected_train_s"] = round(plan.config_steps / throughput, 1)
    return out


def train_chunk(sweep: Sweep, shape: GroupShape, padded: list, inputs: tuple, on_segment) -> tuple:
    """The train step of :func:`run_sweep`: every (setting, seed) of one chunk (``padded`` to the
    chunk's compiled size). Returns (the parameters at each point read, [host arrays S, K, ...]: each
    checkpoint of a training curve, else the end; the parameters at half the steps, or None). Without
    a curve, training also stops at half its steps: how far the LLO still moved in the second half
    (``llo_drift``) says how far from converged the run ended."""
    checkpoints = sweep.checkpoints()
    halfway = () if checkpoints or shape.steps < 2 else (shape.steps // 2,)
    params = train_settings(shape, padded, inputs, on_segment, checkpoints or halfway + (shape.steps,))
    if checkpoints:
        return params, None
    if halfway:
        half, params = params
        return [params], half
    return [params], None


def read_chunk(sweep: Sweep, readers: dict, part: list, seeds: list, envs: list, at_steps: list, half,
               arrays: dict) -> None:
    """The read step of :func:`run_sweep`: every metric of the runs of one chunk (the settings
    ``part`` x ``seeds``, and every setting that reads each of them, ``readers``), written into
    ``arrays`` [*axes, (step,) seed]: the theory, the numerical optimum where asked, the exact
    probes at each point of ``at_steps`` (:func:`train_chunk`), the drift from ``half``, and the
    probes trained the authors' way (``reading='paper'``), the chunk's in one program."""
    curve = bool(sweep.checkpoints())

    def run_of(params, j, k):
        return jax.tree.map(lambda p: p[j, k], params)

    half_llo = {} if half is None else {
        (index, j): exact_llo(s, run_of(half, j, k), envs[j], sweep.ridge)
        for k, trained in enumerate(part) for j in range(len(seeds)) for index, s in readers[trained]}
    # The theory does not depend on training: once per (setting, seed), not per checkpoint.
    theory = {(index, j): theory_metrics(s, envs[j], sweep.ridge)
              for trained in part for index, s in readers[trained] for j in range(len(seeds))}
    if sweep.optimum:
        # The optimum depends on the training setting only; each reader reads its LLO. It does not
        # move along a training curve.
        for trained in part:
            for j, seed in enumerate(seeds):
                found = minimise(trained, envs[j], seed)
                for index, s in readers[trained]:
                    for metric, value in optimum_metrics(s, found, envs[j], sweep.ridge).items():
                        arrays[metric][index + (slice(None),) * curve + (j,)] = value
    for t, at_step in enumerate(at_steps):
        point = (t,) if curve else ()
        paper = []  # (where, design, seed) of the runs read the authors' way
        for k, trained in enumerate(part):
            for j, seed in enumerate(seeds):
                run = run_of(at_step, j, k)
                for index, s in readers[trained]:
                    metrics = evaluate_run(s, run, envs[j], sweep.ridge, theory[index, j])
                    for metric, value in metrics.items():
                        arrays[metric][index + point + (j,)] = value
                    if half_llo:
                        arrays["llo_drift"][index + (j,)] = metrics["llo"] - half_llo[index, j]
                    if s.reading == "paper":
                        paper.append((index + point + (j,), paper_design(s, run, envs[j]), seed))
        if paper:
            read = paper_probes.read([d for _, d, _ in paper], [seed for _, _, seed in paper])
            for (where, _, _), terms in zip(paper, read):
                for metric, value in zip(("llo", "nmse_action", "nmse_noise", "nmse_obs"), terms):
                    arrays[metric][where] = value


def run_sweep(sweep: Sweep, memory_budget: Optional[int] = None, stream=None) -> Results:
    """Train and evaluate every (setting, seed) of ``sweep``, chunk by chunk: :func:`train_chunk`,
    then :func:`read_chunk`. Chunks fit ``memory_budget`` bytes (default:
    :func:`~lamsim.runtime.devices.memory_budget`); a sweep that cannot fit the devices is refused
    before anything is allocated (:func:`plan_sweep`)."""
    t0 = time.perf_counter()
    plan = plan_sweep(sweep, memory_budget)
    seeds = sweep.seed_list()
    progress = Progress(sweep.name, plan.config_steps, stream)
    state = STATE_METRICS if any(s.noise == STATE_NOISE for _, s in sweep.settings()) else ()
    arrays = {m: np.full(sweep.shape, np.nan) for m in METRICS + (OPTIMUM_METRICS if sweep.optimum else ()) + state}
    for g, group in enumerate(plan.groups, 1):
        shape, members, chunk = group.shape, group.members, group.chunk
        envs = [world.environment_f64(seed, shape.d_o, shape.d_a, shape.d_b, shape.state) for seed in seeds]
        inputs = seed_inputs(shape, seeds)
        for c in range(group.n_chunks):
            part = members[c * chunk:(c + 1) * chunk]
            # Pad with copies so every chunk has one compiled shape that splits evenly over devices.
            padded = part + [part[-1]] * (chunk - len(part))
            what = (f"group {g}/{len(plan.groups)} chunk {c + 1}/{group.n_chunks} "
                    f"({len(part)} settings x {len(seeds)} seeds)")
            at_steps, half = train_chunk(sweep, shape, padded, inputs,
                                         lambda n: progress.advance(n * len(part) * len(seeds), what))
            read_chunk(sweep, plan.readers, part, seeds, envs, at_steps, half, arrays)
    dims = tuple(a.name for a in sweep.axes) + (("step",) if sweep.curve else ()) + ("seed",)
    coords = {a.name: np.asarray(a.values) for a in sweep.axes}
    if sweep.curve:
        coords["step"] = np.asarray(sweep.checkpoints())
    coords["seed"] = np.asarray(seeds)
    meta = {"wall_s": time.perf_counter() - t0, "groups": len(plan.groups), "compiled_programs": len(plan.groups),
            "chunks": sum(g.n_chunks for g in plan.groups), "trained_settings": len(plan.readers),
            "config_steps": plan.config_steps}
    return Results(arrays, dims, coords, meta)
