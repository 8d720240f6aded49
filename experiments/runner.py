"""The shared runner: a declarative experiment in, ``OUT/NAME.npz`` + ``.json`` out."""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import jax

from lamsim import results
from lamsim.settings import Setting
from lamsim.sweep import Axis, Sweep, run_sweep

#: Adam steps per profile and figure (SPEC section 3: the paper's scripts used
#: 10,000 steps for Figure 3 and 40,000 for Figure 4 at 1e-3).
STEPS = {"fast": {3: 4000, 4: 4000}, "faithful": {3: 10000, 4: 40000}}
QUICK_STEPS = 300


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One panel: ``axes(quick)`` gives the sweep axes, ``base`` the fixed fields.

    ``figure`` (3 or 4) picks the step count of the faithful profile; ``claim``
    is the paper's statement the panel illustrates; ``fast_steps`` gives a panel
    more fast-profile steps where 4,000 are shown not to be enough.
    """

    name: str
    figure: int
    claim: str
    base: Setting
    axes: Callable[[bool], tuple]
    fast_steps: Optional[int] = None

    def steps(self, profile: str, quick: bool = False) -> int:
        """Adam steps of this panel: ``fast_steps`` overrides the fast profile's count."""
        if quick:
            return QUICK_STEPS
        if profile == "fast" and self.fast_steps:
            return self.fast_steps
        return STEPS[profile][self.figure]

    def sweep(self, profile: str, seeds: int, quick: bool) -> Sweep:
        steps = self.steps(profile, quick)
        return Sweep(self.name, self.base.replace(profile=profile, steps=steps), self.axes(quick), seeds=seeds)


def noise_axis(name: str, kind: str, values) -> Axis:
    """An axis over a noise scale where 0 means no noise at all."""
    values = tuple(float(v) for v in values)
    return Axis(name, values, tuple({"noise": "none", "sigma": 0.0} if v == 0 else {"noise": kind, "sigma": v}
                                    for v in values))


def config_of(sweep: Sweep, profile: str, quick: bool) -> dict:
    """Everything that determines an experiment's arrays (compared to skip reruns)."""
    return {
        "name": sweep.name, "profile": profile, "quick": quick, "seeds": sweep.seeds,
        "first_seed": sweep.first_seed, "ridge": sweep.ridge, "base": sweep.base.to_dict(),
        "steps": sweep.base.train_steps,
        "axes": [{"name": a.name, "values": list(a.values), "overrides": list(a.overrides)} for a in sweep.axes],
    }


def run_experiment(exp: Experiment, profile: str = "fast", seeds: int = 3, quick: bool = False,
                   force: bool = False, out="results", stream=None) -> Path:
    """Run ``exp`` unless ``OUT/NAME.json`` already holds the same config."""
    stream = stream or sys.stderr
    sweep = exp.sweep(profile, seeds, quick)
    config = json.loads(json.dumps(config_of(sweep, profile, quick)))
    out = Path(out)
    side = out / f"{exp.name}.json"
    if not force and side.exists() and (out / f"{exp.name}.npz").exists():
        try:
            if json.loads(side.read_text()).get("config") == config:
                print(f"[{exp.name}] up to date in {out} (use --force to recompute)", file=stream)
                return out / f"{exp.name}.npz"
        except json.JSONDecodeError:
            print(f"[{exp.name}] side-car {side} is corrupt: recomputing", file=stream)
    t0 = time.perf_counter()
    result = run_sweep(sweep, stream=stream)
    meta = {"config": config, "claim": exp.claim, "figure": exp.figure, **result.meta,
            **results.environment_info(), "wall_s": time.perf_counter() - t0}
    path = out / f"{exp.name}.npz"
    if jax.process_index() == 0:  # every process holds the gathered results; one writes them
        results.save(out, exp.name, result.arrays, result.dims, result.coords, meta)
    print(f"[{exp.name}] wrote {path} in {meta['wall_s']:.1f} s", file=stream)
    return path
