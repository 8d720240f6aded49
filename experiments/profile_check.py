"""The profile check (row P of ``make check``): each case of :data:`experiments.claims.PROFILE_CASES`
trained at every compared profile, with each panel's step count, in one sweep
(runs of equal step count share a compiled program). Dims (case, profile, seed)."""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from experiments.claims import PROFILE_BASE, PROFILE_CASES, PROFILES
from experiments.runner import STEPS, Job
from lamsim.runtime.results import Results
from lamsim.linear.sweep import Axis, Sweep, run_sweep


@dataclasses.dataclass(frozen=True)
class ProfileCheck:
    name: str = "profile_check"
    default_seeds: int = 1

    def job(self, seeds: Optional[int] = None, **_) -> Job:
        seeds = self.default_seeds if seeds is None else seeds
        cases = [{"name": c.name, "fields": c.fields, "steps": {p: STEPS[c.panel][p] for p in PROFILES}}
                 for c in PROFILE_CASES]
        config = {"cases": cases, "seeds": seeds, "base": PROFILE_BASE.to_dict()}

        def execute(stream):
            runs = [(case, p) for case in cases for p in PROFILES]
            axis = Axis("run", tuple(f"{c['name']} | {p}" for c, p in runs),
                        tuple({**c["fields"], "profile": p, "steps": c["steps"][p]} for c, p in runs))
            result = run_sweep(Sweep(self.name, PROFILE_BASE, (axis,), seeds=seeds), stream=stream)
            shape = (len(cases), len(PROFILES), seeds)
            coords = {"case": np.asarray([c["name"] for c in cases]), "profile": np.asarray(PROFILES),
                      "seed": result.coords["seed"]}
            arrays = {k: v.reshape(shape) for k, v in result.arrays.items()}
            return {self.name: Results(arrays, ("case", "profile", "seed"), coords, result.meta)}

        return Job(config, (self.name,), execute)


EXPERIMENT = ProfileCheck()
