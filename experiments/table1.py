"""Table 1: the non-linear LAM on the 4x4 grid world (paper Sec. 5, claim C8).

Six rows (settings) x seeds, each run trained by one compiled ``lax.scan``
vmapped over all runs, then scored on one fixed held-out uniform-policy set.
Writes ``table1`` (controllable_loss, stochastic_loss and their
conditional-variance versions ``*_cond``, action_purity, codes_used; dims
setting, seed), ``table1_codes`` (what each code does to a fixed frame; dims
setting, seed, code, row, col) and ``table1_frames`` (one sample transition
per action at each noise intensity).

A second declaration, :data:`NORESTART`, is the same table without dead-code
restarts (``Config.restarts = False``), stored under its own name
(``table1_norestart``, ``table1_norestart_codes``, ...):

    python -m experiments.table1 [--variant default|norestart] [--seeds N] [--force] [--out DIR]
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from experiments.runner import Job
from lamsim.gridworld import world
from lamsim.gridworld.settings import Config, GridSetting
from lamsim.runtime.results import Results

_LOW = world.NOISE_INTENSITY["low"]
ROWS = {
    "no_noise": GridSetting(noise_intensity=world.NOISE_INTENSITY["none"]),
    "low_noise": GridSetting(noise_intensity=_LOW),
    "high_noise": GridSetting(noise_intensity=world.NOISE_INTENSITY["high"]),
    "correlated_policy": GridSetting(noise_intensity=_LOW, correlation=world.SNAKE_CORRELATION),
    "augmentation": GridSetting(noise_intensity=_LOW, augment=True),
    "action_prediction": GridSetting(noise_intensity=_LOW, label_rate=0.01),
}
SETTINGS = tuple(ROWS)
#: The held-out set's key, shared by every setting and seed (never a training seed's root).
EVAL_SEED = 987_654_321
#: The frame whose per-code predictions are saved: agent in the top-right corner
#: (up and right wrap around), empty noise row.
PROBE_AGENT = (0, 3)
METRICS = ("controllable_loss", "stochastic_loss", "controllable_loss_cond", "stochastic_loss_cond", "action_purity",
           "codes_used")
#: Seeds per setting: enough for the paired differences of the nine orderings to be read at 2 s.e.
DEFAULT_SEEDS = 20


def probe_frame() -> np.ndarray:
    """The fixed frame [4, 4] the per-code pictures start from."""
    frame = np.zeros((world.SIZE, world.SIZE), np.float32)
    frame[PROBE_AGENT] = 1.0
    return frame


def sample_frames() -> dict:
    """One transition per action from PROBE_AGENT at each noise intensity:
    name -> [actions, 2 (o, o'), 4, 4]; the noise bits are shared across intensities."""
    import jax
    import jax.numpy as jnp

    agent = jnp.tile(jnp.asarray(PROBE_AGENT, jnp.int32), (world.N_ACTIONS, 1))
    action = jnp.arange(world.N_ACTIONS)
    bits = jax.random.bernoulli(jax.random.key(EVAL_SEED), 0.5, (2, world.N_ACTIONS, world.SIZE))
    out = {}
    for level, intensity in world.NOISE_INTENSITY.items():
        noise = intensity * bits.astype(jnp.float32)
        o = world.render(agent, noise[0])
        o_next = world.render(world.move(agent, action), noise[1])
        out["no_noise" if level == "none" else f"{level}_noise"] = np.stack([np.asarray(o), np.asarray(o_next)], axis=1)
    return out


def _code_actions(counts: np.ndarray) -> list:
    """[setting][seed][code] -> {"action": most frequent true action or None
    if the code is unused, "share": its share of the code's transitions}."""
    table = []
    for per_setting in counts:
        rows = []
        for per_seed in per_setting:
            row = []
            for code in per_seed:
                total = code.sum()
                row.append({"action": world.ACTIONS[int(code.argmax())] if total else None,
                            "share": float(code.max() / total) if total else None})
            rows.append(row)
        table.append(rows)
    return table


@dataclasses.dataclass(frozen=True)
class Table:
    """Table 1 as a declaration: its rows, the model, the default seed count.

    Profiles do not apply (the grid world has one optimiser set-up), and
    ``quick`` keeps every row (the orderings need all six).
    """

    name: str
    claim: str
    rows: dict
    model: Config
    default_seeds: int

    def plan(self, seeds: Optional[int] = None, steps: Optional[int] = None, **_) -> dict:
        """The run's plan without training: every run in one compiled scan."""
        seeds = self.default_seeds if seeds is None else seeds
        steps = self.model.steps if steps is None else steps
        runs = len(self.rows) * seeds
        return {"runs": runs, "seeds": seeds, "compiled_programs": 1, "chunks": 1, "config_steps": runs * steps}

    @property
    def outputs(self) -> tuple:
        """The result names it writes, the main one first."""
        return (self.name, f"{self.name}_codes", f"{self.name}_frames")

    def job(self, seeds: Optional[int] = None, steps: Optional[int] = None, quick: bool = False, **_) -> Job:
        seeds = self.default_seeds if seeds is None else seeds
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"seeds={seeds!r} is invalid: must be an integer >= 1")
        model = self.model if steps is None else dataclasses.replace(self.model, steps=steps)
        config = {"seeds": seeds, "steps": model.steps, "quick": quick, "model": model.to_dict(),
                  "settings": {name: row.to_dict() for name, row in self.rows.items()},
                  "eval_seed": EVAL_SEED, "probe_agent": list(PROBE_AGENT)}

        def execute(stream):
            return self._execute(model, seeds, stream)

        return Job(config, self.outputs, execute)

    def _execute(self, model: Config, seeds: int, stream) -> dict:
        import jax

        from lamsim.gridworld.evaluate import score_runs
        from lamsim.gridworld.train import train_runs

        state, knobs, terms = train_runs(model, list(self.rows.values()), list(range(seeds)), self.name, stream)
        metrics, effects = score_runs(state.params, knobs, model, jax.random.key(EVAL_SEED), probe_frame())
        shape = (len(self.rows), seeds)
        names = np.asarray(list(self.rows), dtype=str)
        seed_coord = np.arange(seeds)
        size = np.arange(world.SIZE)
        counts = np.asarray(metrics["code_action_counts"]).reshape(shape + (model.codes, world.N_ACTIONS))
        effect = np.asarray(effects).reshape(shape + effects.shape[1:])
        table = Results({m: np.asarray(metrics[m], np.float64).reshape(shape) for m in METRICS}, ("setting", "seed"),
                        {"setting": names, "seed": seed_coord},
                        {"claim": self.claim,
                         "final_train_terms": {k: np.asarray(v).reshape(shape) for k, v in terms.items()}})
        codes = Results({"effect": effect, "prediction": effect + probe_frame()},
                        ("setting", "seed", "code", "row", "col"),
                        {"setting": names, "seed": seed_coord, "code": np.arange(model.codes), "row": size,
                         "col": size},
                        {"probe_frame": probe_frame(), "code_action": _code_actions(counts)})
        frames = Results(sample_frames(), ("action", "frame", "row", "col"),
                         {"action": np.asarray(world.ACTIONS, dtype=str), "frame": np.asarray(["o", "o_next"]),
                          "row": size, "col": size},
                         {"probe_agent": list(PROBE_AGENT), "noise_intensity": world.NOISE_INTENSITY,
                          "snake_cells": world.SNAKE_CELLS})
        return dict(zip(self.outputs, (table, codes, frames)))


EXPERIMENT = Table(name="table1", claim="C8: the orderings of the linear analysis hold for a CNN + VQ LAM",
                   rows=ROWS, model=Config(steps=16000), default_seeds=DEFAULT_SEEDS)
#: The same table without dead-code restarts, to show what they change.
NORESTART = Table(name="table1_norestart", claim="C8 without dead-code restarts (a variant of ours, not the paper's)",
                  rows=ROWS, model=Config(steps=16000, restarts=False), default_seeds=DEFAULT_SEEDS)
VARIANTS = {"default": EXPERIMENT, "norestart": NORESTART}


def main(argv=None) -> int:
    import argparse
    import sys

    from experiments.runner import run_experiment
    from lamsim.errors import SEED_LIMIT, integer
    from lamsim.runtime.devices import use_all_host_cores
    from lamsim.runtime.results import check_writable

    p = argparse.ArgumentParser(prog="python -m experiments.table1", description="Table 1 or a variant of it.")
    p.add_argument("--variant", choices=tuple(VARIANTS), default="default")
    p.add_argument("--seeds", type=int, default=None, help=f"seeds per setting (default {DEFAULT_SEEDS})")
    p.add_argument("--steps", type=int, default=None, help="override the step count (smoke runs)")
    p.add_argument("--force", action="store_true", help="recompute even if the result is up to date")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    args = p.parse_args(argv)
    try:
        use_all_host_cores()  # before JAX starts its backends: one host device per core
        if args.seeds is not None:
            integer("seeds", args.seeds, 1, SEED_LIMIT,
                    "must be an integer in [1, 2**31] (seeds 0, 1, ... become 32-bit jax.random keys)")
        check_writable("out", args.out, folder=True)
        run_experiment(VARIANTS[args.variant], seeds=args.seeds, steps=args.steps, force=args.force, out=args.out)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
