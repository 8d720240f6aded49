"""The one runner: a declarative sweep in, named arrays out.

A :class:`Sweep` is a base :class:`~lamsim.settings.Setting`, ordered axes and a
seed count. :func:`run_sweep` expands the grid, groups settings by array shape
(one compiled program per group; d_a and d_z are padded to the group's largest
value and masked, so a d_z sweep compiles once), trains each group in chunks that
fit a memory budget (and, on CPU, the cache), and evaluates every (setting, seed) exactly.
"""
from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import sys
import time
from typing import Callable, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from lamsim import data, devices, theory
from lamsim.evaluate import DEFAULT_RIDGE, Noise, evaluate
from lamsim.model import Knobs
from lamsim.settings import Setting
from lamsim.train import GroupShape, make_trainer, segment_length

#: Arrays every sweep result holds, shaped [*axes, seed] (NaN where undefined).
METRICS = ("llo", "nmse_action", "nmse_noise", "nmse_obs", "llo_ridge0", "loss", "pca_floor", "theory_llo",
           "theory_nmse_action", "theory_nmse_noise", "theory_nmse_obs",
           "alignment", "a_minus_i", "c_plus_d", "dy_ratio")

DEFAULT_MEMORY_BUDGET = 4 * 2 ** 30
#: On CPU, the most (setting, seed) runs a chunk puts on one device (a chunk
#: holds at least one setting per device, so with more seeds than this, all of them). A run's
#: working set (A, its Adam moments and gradient, the batch activations) is about
#: 1 MB, so a few runs per core stay in cache; measured on the 2-core machine
#: (3 seeds, d_z 16): 8,200 config-steps/s at 6 runs per device, 7,900 at 12,
#: 5,500 at 192 (one chunk for a whole panel). GPUs want the largest chunk.
CPU_RUNS_PER_DEVICE = 8


def chunk_size(shape: GroupShape, n_settings: int, n_seeds: int, memory_budget: int,
               n_devices: int, backend: str) -> int:
    """Settings per chunk: what fits ``memory_budget`` (and, on CPU, the cache),
    rounded up to a multiple of ``n_devices`` (the settings axis is sharded)."""
    chunk = max(1, min(n_settings, memory_budget // (bytes_per_run(shape) * n_seeds)))
    if backend == "cpu":
        chunk = min(chunk, max(1, CPU_RUNS_PER_DEVICE // n_seeds) * n_devices)
    return -(-chunk // n_devices) * n_devices


@dataclasses.dataclass(frozen=True)
class Axis:
    """One sweep axis: coordinate ``values`` and the Setting fields each one sets.

    ``Axis.of("d_z", [1, 2])`` sets the field of the same name; a general axis
    can set several fields per value, e.g. noise kind and its sigma.
    """

    name: str
    values: tuple
    overrides: tuple

    @staticmethod
    def of(name: str, values: Sequence) -> "Axis":
        values = tuple(values)
        return Axis(name, values, tuple({name: v} for v in values))


@dataclasses.dataclass(frozen=True)
class Sweep:
    name: str
    base: Setting
    axes: tuple = ()
    seeds: int = 3
    first_seed: int = 0
    ridge: float = DEFAULT_RIDGE

    def __post_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds={self.seeds!r} is invalid: must be an integer >= 1")
        if not (isinstance(self.ridge, (int, float)) and self.ridge >= 0 and math.isfinite(self.ridge)):
            raise ValueError(f"ridge={self.ridge!r} is invalid: must be a finite number >= 0")

    @property
    def shape(self) -> tuple:
        return tuple(len(a.values) for a in self.axes) + (self.seeds,)

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


class SweepResult(NamedTuple):
    """``arrays``: metric -> [*axes, seed]; ``dims``: axis names, ``seed`` last;
    ``coords``: axis name -> coordinate values; ``meta``: wall time, devices, ..."""

    arrays: dict
    dims: tuple
    coords: dict
    meta: dict


def group_key(s: Setting) -> tuple:
    return (s.d_o, s.d_b, s.batch, s.train_steps, s.profile)


def group_shape(settings: Sequence[Setting]) -> GroupShape:
    s0 = settings[0]
    return GroupShape(
        d_o=s0.d_o, d_a=max(s.d_a for s in settings), d_z=max(s.d_z for s in settings), d_b=s0.d_b,
        batch=s0.batch, steps=s0.train_steps, profile=s0.profile,
        iid=any(s.sigma_iid > 0 for s in settings), exo=any(s.sigma_exo > 0 for s in settings),
        augment=any(s.kappa > 0 for s in settings), labels=any(s.label_rate > 0 for s in settings),
    )


def bytes_per_run(shape: GroupShape) -> int:
    """A generous estimate of one (setting, seed) run's training memory:
    parameters, Adam moments, gradients and temporaries, plus batch activations."""
    n_params = shape.d_o ** 2 + 3 * shape.d_o * shape.d_z + shape.d_a * shape.d_z
    return 4 * (7 * n_params + 12 * shape.batch * shape.d_o)


def knobs_of(settings: Sequence[Setting]) -> Knobs:
    f32 = functools.partial(jnp.asarray, dtype=jnp.float32)
    return Knobs(
        d_a=jnp.asarray([s.d_a for s in settings], jnp.int32),
        d_z=jnp.asarray([s.d_z for s in settings], jnp.int32),
        sigma_iid=f32([s.sigma_iid for s in settings]),
        sigma_exo=f32([s.sigma_exo for s in settings]),
        chi=f32([s.chi for s in settings]),
        kappa=f32([s.kappa for s in settings]),
        label_rate=f32([s.label_rate for s in settings]),
    )


@functools.lru_cache(maxsize=None)
def compiled_trainer(shape: GroupShape):
    """(init, segment) for a group shape, jitted once and reused by every chunk."""
    init, segment = make_trainer(shape)
    # Training state [S, K, ...] is split along the settings axis K over every device.
    return (jax.jit(init, out_shardings=devices.sharding(2, 1)),
            jax.jit(segment, static_argnums=5, donate_argnums=0))


def seed_inputs(shape: GroupShape, seeds: Sequence[int]):
    """(seeds [S], environments [S, ...]) on every device: what a group's chunks share."""
    return (devices.shard_axis(jnp.asarray(seeds, jnp.int32), None),
            devices.shard_axis(data.environments(seeds, shape.d_o, shape.d_a, shape.d_b), None))


def train_settings(shape: GroupShape, settings: Sequence[Setting], inputs: tuple,
                   on_segment: Optional[Callable[[int], None]] = None):
    """Train every (seed, setting) of one chunk; ``inputs`` is the group's
    :func:`seed_inputs`, built once for all its chunks. Returns float32 numpy
    parameters as a dict of arrays [S, K, ...] (padded shapes)."""
    init, segment = compiled_trainer(shape)
    seeds_arr, env = inputs
    # Settings are split over the devices; every device draws its seeds' shared data.
    knobs = devices.shard_axis(knobs_of(settings), 0)
    state = init(seeds_arr, knobs)
    length = segment_length(shape.steps)
    for start in range(0, shape.steps, length):
        state = segment(state, seeds_arr, env, knobs, jnp.int32(start), length)
        jax.block_until_ready(state)
        if on_segment:
            on_segment(length)
    return devices.to_host(state.params)


def noise_of(s: Setting, env: dict) -> Noise:
    return Noise(s.noise, s.sigma, env["noise_map"] if s.noise == "exo" else None)


def evaluate_run(s: Setting, params: dict, env: dict, ridge: float) -> dict:
    """Every metric of one trained run. params: padded float32 arrays of one
    (seed, setting); env: the seed's padded float64 environment."""
    params = params._asdict()
    params = {"A": params["A"], "B": params["B"][:, :s.d_z], "C": params["C"][:s.d_z], "D": params["D"][:s.d_z]}
    env = {"action_effect": env["action_effect"][:, :s.d_a], "policy_map": env["policy_map"][:s.d_a],
           "noise_map": env["noise_map"]}
    noise = noise_of(s, env)
    ev = evaluate(params, env, s.chi, noise, s.latent, ridge)
    theo = theory.optimal_latent_terms(env, s.chi, noise, s.d_z, ridge)
    if s.label_rate > 0:
        # The action head changes the objective: PCA's optimum is no longer the target.
        theo = theo._make([math.nan] * 4)
    return {
        "llo": ev.terms.llo, "nmse_action": ev.terms.nmse_action, "nmse_noise": ev.terms.nmse_noise,
        "nmse_obs": ev.terms.nmse_obs, "llo_ridge0": ev.terms_ridge0.llo, "loss": ev.loss, "pca_floor": theory.pca_floor(env, s.chi, noise, s.d_z),
        "theory_llo": theo.llo, "theory_nmse_action": theo.nmse_action, "theory_nmse_noise": theo.nmse_noise,
        "theory_nmse_obs": theo.nmse_obs, "alignment": ev.alignment, "a_minus_i": ev.a_minus_i,
        "c_plus_d": ev.c_plus_d, "dy_ratio": ev.dy_ratio,
    }


class Progress:
    """Settings done and an ETA on stderr, at most every ``every`` seconds."""

    def __init__(self, name: str, total_config_steps: int, stream=None, every: float = 5.0):
        self.name, self.total, self.stream, self.every = name, total_config_steps, stream or sys.stderr, every
        self.done, self.start, self.last = 0, time.perf_counter(), -math.inf

    def advance(self, config_steps: int, what: str):
        self.done += config_steps
        now = time.perf_counter()
        if now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else math.nan
        print(f"[{self.name}] {what} | {100 * self.done / self.total:5.1f}% of "
              f"{self.total:,} config-steps | {elapsed:6.1f} s elapsed, ETA {eta:6.1f} s",
              file=self.stream, flush=True)


def run_sweep(sweep: Sweep, memory_budget: int = DEFAULT_MEMORY_BUDGET, stream=None) -> SweepResult:
    """Train and evaluate every (setting, seed) of ``sweep``."""
    t0 = time.perf_counter()
    grid = sweep.settings()
    seeds = sweep.seed_list()
    groups: dict = {}
    for index, s in grid:
        groups.setdefault(group_key(s), []).append((index, s))
    total = sum(s.train_steps for _, s in grid) * len(seeds)
    progress = Progress(sweep.name, total, stream)
    arrays = {m: np.full(sweep.shape, np.nan) for m in METRICS}
    n_compiled = n_chunks_total = 0
    for g, members in enumerate(groups.values(), 1):
        shape = group_shape([s for _, s in members])
        envs = [data.environment_f64(seed, shape.d_o, shape.d_a, shape.d_b) for seed in seeds]
        inputs = seed_inputs(shape, seeds)
        chunk = chunk_size(shape, len(members), len(seeds), memory_budget, jax.device_count(), jax.default_backend())
        n_chunks = math.ceil(len(members) / chunk)
        n_compiled += 1
        n_chunks_total += n_chunks
        for c in range(n_chunks):
            part = members[c * chunk:(c + 1) * chunk]
            # Pad with copies so every chunk has one compiled shape that splits evenly over devices.
            padded = [s for _, s in part] + [part[-1][1]] * (chunk - len(part))
            what = f"group {g}/{len(groups)} chunk {c + 1}/{n_chunks} ({len(part)} settings x {len(seeds)} seeds)"
            params = train_settings(shape, padded, inputs,
                                    lambda n: progress.advance(n * len(part) * len(seeds), what))
            for k, (index, s) in enumerate(part):
                for j, seed in enumerate(seeds):
                    run = jax.tree.map(lambda p: p[j, k], params)
                    for metric, value in evaluate_run(s, run, envs[j], sweep.ridge).items():
                        arrays[metric][index + (j,)] = value
    dims = tuple(a.name for a in sweep.axes) + ("seed",)
    coords = {a.name: np.asarray(a.values) for a in sweep.axes}
    coords["seed"] = np.asarray(seeds)
    meta = {"wall_s": time.perf_counter() - t0, "groups": len(groups), "compiled_programs": n_compiled, "chunks": n_chunks_total,
            "config_steps": total}
    return SweepResult(arrays, dims, coords, meta)
