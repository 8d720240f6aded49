"""The shared runner: a declarative experiment in, ``OUT/NAME.npz`` + ``.json`` out.

An experiment module declares ``EXPERIMENT``, either a :class:`Panel` (a sweep of
the linear LAM) or a :class:`~experiments.table1.Table` (the grid world's
non-linear LAM). Both answer :meth:`job`, which fixes every number that
determines the arrays (``config``) and knows how to compute them
(``execute``). :func:`run_experiment` is the one place that decides whether a
finished result is reused (:func:`reusable`), times the run and writes it.

``quick`` has one meaning everywhere: each panel's reduced grid (``quick_axes``,
a subset of the full grid that keeps every value a claim reads) at the profile's
full step count, so a verdict keeps its meaning. A smoke run instead passes
``steps`` explicitly.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple, Optional

import jax

from lamsim.linear.settings import Setting
from lamsim.runtime import results
from lamsim.linear.sweep import Axis, Sweep, describe_plan, plan_sweep, run_sweep

DEFAULT_PROFILE = "exact"
DEFAULT_SEEDS = 3


class Job(NamedTuple):
    """What one experiment will compute: ``config`` (JSON-able; equal configs
    give equal arrays), the result names it writes (the first is the main one),
    and ``execute(stream) -> {name: Results}``."""

    config: dict
    outputs: tuple
    execute: Callable


def noise_axis(name: str, kind: str, values) -> Axis:
    """An axis over a noise scale where 0 means no noise at all."""
    values = tuple(float(v) for v in values)
    return Axis(name, values, tuple({"noise": "none", "sigma": 0.0} if v == 0 else {"noise": kind, "sigma": v}
                                    for v in values))


def _axes_config(axes) -> list:
    return [{"name": a.name, "values": list(a.values), "overrides": list(a.overrides)} for a in axes]


@dataclasses.dataclass(frozen=True)
class Panel:
    """One panel: a sweep of the linear LAM.

    ``axes`` is the full grid, ``quick_axes`` its reduced subset, ``base`` the
    fixed fields, ``claim`` the paper's statement the panel illustrates.
    ``curve`` records that many exact evaluations along training;
    ``fixed_profile`` pins the profile whatever the command line asks;
    ``step_table`` (profile -> Adam steps) is the panel's own, declared in its module;
    ``optimum`` also stores the numerical optimum of each setting (``Sweep.optimum``).
    """

    name: str
    claim: str
    base: Setting
    axes: tuple
    quick_axes: tuple
    default_seeds: int = DEFAULT_SEEDS
    step_table: dict = dataclasses.field(default_factory=dict)
    curve: int = 0
    fixed_profile: Optional[str] = None
    optimum: bool = False

    def steps(self, profile: str) -> int:
        if not self.step_table:
            raise ValueError(f"panel {self.name!r} declares no step_table (profile -> steps)")
        if profile not in self.step_table:
            raise ValueError(f"profile={profile!r} is invalid: must be one of {', '.join(self.step_table)}")
        return self.step_table[profile]

    def sweep(self, profile: str = DEFAULT_PROFILE, seeds: int = DEFAULT_SEEDS, quick: bool = False,
              steps: Optional[int] = None) -> Sweep:
        profile = self.fixed_profile or profile
        steps = self.steps(profile) if steps is None else steps
        return Sweep(self.name, self.base.replace(profile=profile, steps=steps),
                     self.quick_axes if quick else self.axes, seeds=seeds, curve=self.curve, optimum=self.optimum)

    def plan(self, profile: str = DEFAULT_PROFILE, seeds: int = DEFAULT_SEEDS, quick: bool = False,
             steps: Optional[int] = None, **machine) -> dict:
        """The run's plan without training: ``machine`` is passed to
        :func:`~lamsim.linear.sweep.plan_sweep` (memory_budget, n_devices, backend)."""
        return describe_plan(plan_sweep(self.sweep(profile, seeds, quick, steps), **machine))

    def job(self, profile: str = DEFAULT_PROFILE, seeds: int = DEFAULT_SEEDS, quick: bool = False,
            steps: Optional[int] = None, **_) -> Job:
        sweep = self.sweep(profile, seeds, quick, steps)
        config = {"name": self.name, "profile": sweep.base.profile, "quick": quick, "seeds": sweep.seeds,
                  "first_seed": sweep.first_seed, "ridge": sweep.ridge, "base": sweep.base.to_dict(),
                  "steps": sweep.base.train_steps, "axes": _axes_config(sweep.axes), "curve": sweep.curve}
        if sweep.optimum:  # only where asked: the configs of finished panels without it stay equal
            config["optimum"] = True

        def execute(stream):
            result = run_sweep(sweep, stream=stream)
            return {self.name: result._replace(meta={"claim": self.claim, **result.meta})}

        return Job(config, (self.name,), execute)


def _normalised(config: dict) -> dict:
    """``config`` as its JSON side-car holds it; a ``base`` Setting with every field, so a config
    written before a Setting field existed equals one with that field at its default."""
    config = json.loads(json.dumps(config, default=results.json_default))
    if isinstance(config.get("base"), dict):
        try:
            config["base"] = _normalised_setting(config["base"])
        except (TypeError, ValueError):
            pass
    return config


def _normalised_setting(fields: dict) -> dict:
    return json.loads(json.dumps(Setting(**fields).to_dict(), default=results.json_default))


def reusable(out, names, config: Optional[dict] = None) -> bool:
    """The one rule for reusing a finished result: every file of ``names``
    loads, and (unless ``config`` is None) the first one's side-car holds
    ``config``."""
    try:
        loaded = [results.load(Path(out) / n) for n in names]
    except results.ResultsError:
        return False
    return config is None or _normalised(loaded[0].meta.get("config") or {}) == _normalised(config)


def run_experiment(exp, profile: str = DEFAULT_PROFILE, seeds: Optional[int] = None, quick: bool = False,
                   steps: Optional[int] = None, force: bool = False, out="results", stream=None) -> Path:
    """Run ``exp`` into ``out`` unless a reusable result is there (or ``force``);
    returns the path of its main npz."""
    stream = stream or sys.stderr
    job = exp.job(profile=profile, seeds=exp.default_seeds if seeds is None else seeds, quick=quick, steps=steps)
    out = Path(out)
    main = out / f"{job.outputs[0]}.npz"
    if not force and reusable(out, job.outputs, job.config):
        print(f"[{exp.name}] up to date in {out} (use --force to recompute)", file=stream)
        return main
    t0 = time.perf_counter()
    produced = job.execute(stream)
    wall_s = time.perf_counter() - t0
    write_job(out, job, produced, wall_s)
    print(f"[{exp.name}] wrote {main} in {wall_s:.1f} s", file=stream)
    return main


def write_job(out, job: Job, produced: dict, wall_s: float) -> None:
    """Write ``produced`` ({name: Results} of ``job.outputs``) into ``out``, each side-car with
    the job's config, the environment and ``wall_s``; the main result last, since its side-car
    marks the set complete. Only process 0 writes (every process holds the gathered results)."""
    env = results.environment_info()
    if jax.process_index() == 0:
        for name in reversed(job.outputs):
            r = produced[name]
            results.save(out, name, r.arrays, r.dims, r.coords,
                         {"config": job.config, **r.meta, "environment": env, "wall_s": wall_s})
