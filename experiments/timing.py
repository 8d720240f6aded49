"""Time every panel under two profiles in one run, and show where Table 1's step goes.

    python -m experiments.timing [--profiles fast exact] [--seeds 3] [--panels NAME ...] [--out results]
    python -m experiments.timing --table1 [--seeds 20] [--steps 200]

Panels: each panel runs end to end (compile, training, exact evaluation,
writing its files) into a temporary folder once per profile, in the order
panel by panel, so both profiles of a panel see the same machine state. The
report gives each wall time and the ratio of the first profile's time to the
second's, and is written to ``OUT/timing.json``.

Table 1 (``--table1``): the milliseconds per update of the 6 settings x
``--seeds`` runs, for the whole update and for its parts alone (drawing the
batch; forward and backward pass with a plain gradient step; Adam alone), each
a ``lax.scan`` of ``--steps`` updates timed after its compile, plus the
floating-point work of one update from XLA's cost analysis. Nothing is written.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from experiments import PANELS, experiment
from experiments.runner import DEFAULT_SEEDS, run_experiment
from lamsim.linear.settings import PROFILES
from lamsim.runtime import results
from lamsim.runtime.devices import use_all_host_cores


def time_panels(panels, profiles, seeds: int, stream=sys.stderr) -> dict:
    """{panel: {profile: wall seconds, "ratio": first / second}} and the machine."""
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in panels:
            row = {}
            for profile in profiles:
                t0 = time.perf_counter()
                run_experiment(experiment(name), profile=profile, seeds=seeds, out=Path(tmp) / profile, stream=stream)
                row[profile] = round(time.perf_counter() - t0, 2)
            if len(profiles) == 2:
                row["ratio"] = round(row[profiles[0]] / row[profiles[1]], 2)
            report[name] = row
            print(f"[timing] {name}: " + ", ".join(f"{k} {v}" for k, v in row.items()), file=stream)
    total = {p: round(sum(r[p] for r in report.values()), 2) for p in profiles}
    if len(profiles) == 2:
        total["ratio"] = round(total[profiles[0]] / total[profiles[1]], 2)
    return {"seeds": seeds, "profiles": list(profiles), "panels": report, "total": total,
            "environment": results.environment_info()}


def time_table1_step(seeds: int = 20, steps: int = 200) -> dict:
    """Milliseconds per update of Table 1's runs: whole, and each part on its own."""
    import jax
    import jax.numpy as jnp
    import optax

    from experiments.table1 import ROWS
    from lamsim.gridworld import train
    from lamsim.gridworld.networks import LAM
    from lamsim.gridworld.settings import Config

    config = Config()
    run_seeds, knobs, state, segment = train.prepare_runs(config, list(ROWS.values()), list(range(seeds)))
    sharded = run_seeds.sharding.num_devices > 1
    model = LAM(config)
    data_keys = jax.vmap(lambda s: train._run_keys(s)[1])(run_seeds)

    def batches(step):
        return jax.vmap(lambda key, k: train.train_batch(jax.random.fold_in(key, step), k, config.batch))(
            data_keys, knobs)

    def data_only(s):
        def body(acc, step):
            b = batches(step)
            return acc + sum(jnp.sum(x.astype(jnp.float32)) for x in b), None
        return jax.lax.scan(body, jnp.float32(0), jnp.arange(steps))[0]

    fixed = batches(0)

    def network_only(s):  # forward, backward and a plain gradient step; the step keeps the pass in the loop
        def body(params, step):
            grads = jax.vmap(jax.grad(lambda p, b: train.loss_terms(p, model, b)[0]))(params, fixed)
            return jax.tree.map(lambda p, g: p - 1e-4 * g, params, grads), None
        return jax.lax.scan(body, s.params, jnp.arange(steps))[0]

    opt = optax.adam(config.learning_rate)

    def adam_only(s):
        def body(carry, step):
            params, opt_state = carry
            updates, opt_state = jax.vmap(opt.update)(jax.tree.map(lambda p: 1e-3 * p, params), opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), None
        return jax.lax.scan(body, (s.params, s.opt_state), jnp.arange(steps))[0]

    def whole(s):
        return segment(s, run_seeds, knobs, jnp.int32(0), steps)

    out = {"runs": int(run_seeds.shape[0]), "batch": config.batch, "width": config.width, "steps_timed": steps,
           "devices": jax.device_count()}
    for name, fn in (("update", whole), ("data", data_only), ("forward_backward", network_only),
                     ("adam", adam_only)):
        compiled = jax.jit(fn).lower(state).compile()
        jax.block_until_ready(compiled(state))
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(state))
        out[f"{name}_ms"] = round((time.perf_counter() - t0) / steps * 1e3, 3)
    one = jax.jit(lambda s: segment(s, run_seeds, knobs, jnp.int32(0), 1)).lower(state).compile().cost_analysis()
    one = one[0] if isinstance(one, list) else one
    # XLA costs one device's share of a sharded program (checked: 1 device and 2 give the same total).
    shares = out["devices"] if sharded else 1
    out["gflop_per_update"] = round(float(one.get("flops", float("nan"))) * shares / 1e9, 3)
    out["gflops_achieved"] = round(out["gflop_per_update"] / (out["update_ms"] / 1e3), 1)
    out["full_table_train_s"] = round(out["update_ms"] / 1e3 * config.steps, 1)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.timing", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", nargs=2, default=["fast", "exact"], metavar="PROFILE")
    p.add_argument("--panels", nargs="+", default=list(PANELS), metavar="NAME")
    p.add_argument("--seeds", type=int, default=None, help=f"seeds (default {DEFAULT_SEEDS}; Table 1: 20)")
    p.add_argument("--steps", type=int, default=200, help="updates timed per part with --table1 (default 200)")
    p.add_argument("--table1", action="store_true", help="time Table 1's update and its parts instead")
    p.add_argument("--out", default="results", help="where timing.json goes (default results/)")
    args = p.parse_args(argv)
    use_all_host_cores()
    try:
        if args.table1:
            print(json.dumps(time_table1_step(args.seeds or 20, args.steps), indent=2))
            return 0
        for profile in args.profiles:
            if profile not in PROFILES:
                raise ValueError(f"profile={profile!r} is invalid: must be one of {', '.join(PROFILES)}")
        for name in args.panels:
            if name not in PANELS:
                raise ValueError(f"panel={name!r} is invalid: must be one of {', '.join(PANELS)}")
        if args.seeds is not None and args.seeds < 1:
            raise ValueError(f"seeds={args.seeds!r} is invalid: must be an integer >= 1")
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report = time_panels(args.panels, args.profiles, args.seeds or DEFAULT_SEEDS)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    results.write_json(Path(args.out) / "timing.json", report)
    print(json.dumps({k: report[k] for k in ("panels", "total")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
