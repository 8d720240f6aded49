"""Table 1: the non-linear LAM on the 4x4 grid world, six settings x seeds.

Every (setting, seed) run is trained by one compiled ``lax.scan`` vmapped over
all runs (the settings differ only by numbers), then scored on one fixed
held-out uniform-policy set. Writes, through :mod:`lamsim.results`:

* ``OUT/table1``: controllable_loss, stochastic_loss, action_purity,
  codes_used, dims (setting, seed);
* ``OUT/table1_codes``: what each code does to a fixed frame, ``prediction``
  (the FDM's o'_hat) and ``effect`` (o'_hat - o), dims (setting, seed, code,
  row, col); the JSON side-car holds each code's most frequent action;
* ``OUT/table1_frames``: one sample transition per action at each noise
  intensity, dims (action, frame, row, col).

    python -m experiments.table1 [--seeds N] [--steps N] [--quick] [--force] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from lamsim import gridworld, results
from lamsim.nonlinear import Config, GridSetting

SETTINGS = ("no_noise", "low_noise", "high_noise", "correlated_policy", "augmentation", "action_prediction")

_LOW = gridworld.NOISE_INTENSITY["low"]
GRID_SETTINGS = {
    "no_noise": GridSetting(noise_intensity=gridworld.NOISE_INTENSITY["none"]),
    "low_noise": GridSetting(noise_intensity=_LOW),
    "high_noise": GridSetting(noise_intensity=gridworld.NOISE_INTENSITY["high"]),
    "correlated_policy": GridSetting(noise_intensity=_LOW, correlation=gridworld.SNAKE_CORRELATION),
    "augmentation": GridSetting(noise_intensity=_LOW, augment=True),
    "action_prediction": GridSetting(noise_intensity=_LOW, label_rate=0.01),
}
#: The held-out set's key, shared by every setting and seed (never a training seed's root).
EVAL_SEED = 987_654_321
#: The frame whose per-code predictions are saved: agent in the top-right corner
#: (up and right wrap around), empty noise row.
PROBE_AGENT = (0, 3)
QUICK = {"seeds": 2, "steps": 300}
METRICS = ("controllable_loss", "stochastic_loss", "action_purity", "codes_used")


def _check_count(field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{field}={value!r} is invalid: must be an integer >= 1")
    return value


def _config(seeds: int, steps: int, quick: bool) -> dict:
    return {"seeds": seeds, "steps": steps, "quick": quick, "model": Config(steps=steps).to_dict(),
            "settings": {name: GRID_SETTINGS[name].to_dict() for name in SETTINGS},
            "eval_seed": EVAL_SEED, "probe_agent": list(PROBE_AGENT)}


def _up_to_date(out: Path, config: dict) -> bool:
    """Whether all three results exist and table1's side-car holds ``config``."""
    try:
        stored = results.load(out / "table1").meta.get("config")
        results.load(out / "table1_codes")
        results.load(out / "table1_frames")
    except results.ResultsError:
        return False
    return stored == json.loads(json.dumps(config, default=str))


def probe_frame() -> np.ndarray:
    """The fixed frame [4, 4] the per-code pictures start from."""
    frame = np.zeros((gridworld.SIZE, gridworld.SIZE), np.float32)
    frame[PROBE_AGENT] = 1.0
    return frame


def sample_frames() -> dict:
    """One transition per action from PROBE_AGENT at each noise intensity:
    name -> [actions, 2 (o, o'), 4, 4]; the noise bits are shared across intensities."""
    import jax
    import jax.numpy as jnp

    agent = jnp.tile(jnp.asarray(PROBE_AGENT, jnp.int32), (gridworld.N_ACTIONS, 1))
    action = jnp.arange(gridworld.N_ACTIONS)
    bits = jax.random.bernoulli(jax.random.key(EVAL_SEED), 0.5, (2, gridworld.N_ACTIONS, gridworld.SIZE))
    out = {}
    for level, intensity in gridworld.NOISE_INTENSITY.items():
        noise = intensity * bits.astype(jnp.float32)
        o = gridworld.render(agent, noise[0])
        o_next = gridworld.render(gridworld.move(agent, action), noise[1])
        out["no_noise" if level == "none" else f"{level}_noise"] = np.stack([np.asarray(o), np.asarray(o_next)], axis=1)
    return out


def _train_and_evaluate(config: Config, seeds: int, stream) -> tuple[dict, dict]:
    """Train every (setting, seed) in one vmapped program; returns
    (metric -> [setting, seed], extras for the codes file and side-car)."""
    import jax
    import jax.numpy as jnp

    from lamsim import devices, nonlinear
    from lamsim.sweep import Progress
    from lamsim.train import segment_length

    n_runs = len(SETTINGS) * seeds
    run_seeds = jnp.tile(jnp.arange(seeds, dtype=jnp.int32), len(SETTINGS))
    knobs = nonlinear.knobs_of([GRID_SETTINGS[name] for name in SETTINGS for _ in range(seeds)])
    init, segment = nonlinear.make_trainer(config)
    segment = jax.jit(segment, static_argnums=4, donate_argnums=0)
    state = jax.jit(init)(run_seeds)
    # Split the runs over the host's devices (one per core) when they divide
    # evenly; the whole state too, so that every segment sees one input layout
    # (init leaves seed-independent leaves replicated) and compiles once.
    if n_runs % jax.device_count() == 0:
        run_seeds, knobs, state = (devices.shard_axis(x, 0) for x in (run_seeds, knobs, state))
    progress = Progress("table1", n_runs * config.steps, stream)
    length = segment_length(config.steps)
    for start in range(0, config.steps, length):
        state, terms = segment(state, run_seeds, knobs, jnp.int32(start), length)
        jax.block_until_ready(state)
        progress.advance(length * n_runs, f"step {start + length:,}/{config.steps:,} "
                                          f"(reconstruction {float(jnp.mean(terms['reconstruction'])):.4f})")

    eval_key = jax.random.key(EVAL_SEED)
    probe = jnp.asarray(probe_frame())

    def score(params, noise_intensity):
        return (nonlinear.evaluate(params, config, eval_key, noise_intensity),
                nonlinear.code_effects(params, config, probe))

    metrics, effects = jax.jit(jax.vmap(score))(state.params, knobs.noise_intensity)
    shape = (len(SETTINGS), seeds)
    arrays = {m: np.asarray(metrics[m], np.float64).reshape(shape) for m in METRICS}
    counts = np.asarray(metrics["code_action_counts"]).reshape(shape + (config.codes, gridworld.N_ACTIONS))
    extras = {
        "effect": np.asarray(effects).reshape(shape + effects.shape[1:]),
        "code_action_counts": counts,
        "final_terms": {k: np.asarray(v).reshape(shape) for k, v in terms.items()},
    }
    return arrays, extras


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
                row.append({"action": gridworld.ACTIONS[int(code.argmax())] if total else None,
                            "share": float(code.max() / total) if total else None})
            rows.append(row)
        table.append(rows)
    return table


def run(seeds: int = 5, steps: int = 16000, quick: bool = False, out: str = "results", force: bool = False) -> Path:
    """Train, evaluate and write Table 1; returns the path of ``table1.npz``.

    ``quick`` caps seeds and steps at QUICK (a smoke run). An existing result
    with the same config is kept unless ``force``.
    """
    seeds, steps = _check_count("seeds", seeds), _check_count("steps", steps)
    if quick:
        seeds, steps = min(seeds, QUICK["seeds"]), min(steps, QUICK["steps"])
    out = Path(out)
    config = _config(seeds, steps, quick)
    if not force and _up_to_date(out, config):
        print(f"[table1] {out / 'table1.npz'} is up to date (use --force to recompute)", file=sys.stderr)
        return out / "table1.npz"
    t0 = time.perf_counter()
    model = Config(steps=steps)
    arrays, extras = _train_and_evaluate(model, seeds, sys.stderr)
    wall_s = time.perf_counter() - t0
    env = results.environment_info()
    setting_coord = np.asarray(SETTINGS, dtype=str)
    seed_coord = np.arange(seeds)
    meta = {"config": config, "wall_s": wall_s, "environment": env,
            "final_train_terms": extras["final_terms"]}
    path = results.save(out, "table1", arrays, ("setting", "seed"), {"setting": setting_coord, "seed": seed_coord},
                        meta)
    size = np.arange(gridworld.SIZE)
    effect = extras["effect"]
    results.save(out, "table1_codes", {"effect": effect, "prediction": effect + probe_frame()},
                 ("setting", "seed", "code", "row", "col"),
                 {"setting": setting_coord, "seed": seed_coord, "code": np.arange(model.codes), "row": size,
                  "col": size},
                 {"config": config, "probe_frame": probe_frame(), "code_action": _code_actions(
                     extras["code_action_counts"]), "environment": env})
    results.save(out, "table1_frames", sample_frames(), ("action", "frame", "row", "col"),
                 {"action": np.asarray(gridworld.ACTIONS, dtype=str), "frame": np.asarray(["o", "o_next"], dtype=str),
                  "row": size, "col": size},
                 {"probe_agent": list(PROBE_AGENT), "noise_intensity": gridworld.NOISE_INTENSITY,
                  "snake_cells": gridworld.SNAKE_CELLS, "environment": env})
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.table1", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--steps", type=int, default=16000, help="Adam updates per run")
    p.add_argument("--quick", action="store_true", help=f"a smoke run ({QUICK['seeds']} seeds, {QUICK['steps']} steps)")
    p.add_argument("--force", action="store_true", help="recompute even if the results are up to date")
    p.add_argument("--out", default="results", help="results directory")
    args = p.parse_args(argv)
    from lamsim.devices import use_all_host_cores

    use_all_host_cores()
    try:
        path = run(args.seeds, args.steps, args.quick, args.out, args.force)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
