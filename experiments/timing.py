"""Time every panel under two profiles in one run, and show where Table 1's step goes.

    python -m experiments timing [--profiles fast exact] [--seeds 3] [--panels NAME ...] [--out results]
    python -m experiments timing --table1 [--seeds 20] [--steps 200]
    python -m experiments timing --table1 --protocol authors [--profile cpu|faithful] [--width W --mlp-width M]
                                 [--seeds 5] [--steps 20]

Panels: each panel runs end to end (compile, training, exact evaluation,
writing its files) into a temporary folder once per profile, in the order
panel by panel, so both profiles of a panel see the same machine state. The
report gives each wall time and the ratio of the first profile's time to the
second's, and is written to ``OUT/timing.json``.

Table 1 (``--table1``): the milliseconds per update of the 6 settings x
``--seeds`` runs, for the whole update and for its parts alone (drawing the
batch; forward and backward pass with a plain gradient step; Adam alone), each
a ``lax.scan`` of ``--steps`` updates timed after its compile, plus the
floating-point work of one update from XLA's cost analysis, and this machine's
numpy sgemm rate (float32 2048 x 2048 products, GFLOP/s) with the share of it
the update reaches. Nothing is written.

Table 1 under the authors' protocol (``--table1 --protocol authors``): the 7
rows x ``--seeds`` runs (default 5) at ``--profile`` (cpu, default, or
faithful; ``--width W --mlp-width M`` override the config), vmapped as training
does. Each part is a jitted ``lax.scan`` of ``--steps`` (default 20) updates,
timed once after a warm-up call; the report gives milliseconds per update of
all runs for: ``update`` (the whole training update, no measurement; update
index = step mod updates_per_epoch, on one epoch's draws), ``data`` (building
the batches [runs, batch, 4, 4]), ``forward_backward`` (gradient of the loss on
a fixed batch plus a plain gradient step), ``adam`` (the optimiser alone) and
``measurement`` (the held-out batch of the metrics window, one per update of
the last metric_epochs epochs). ``gflop_per_update``: GFLOP of one update of
all runs from XLA's cost analysis of one compiled update (runs x the plan's
one-run figure; not of the scan, which XLA costs as its body once, shown as
``gflop_scan_cost_analysis``); ``gflops_achieved`` = that / the update's
seconds; ``sgemm_gflops`` and ``share_of_sgemm`` as above (the sgemm rate is
measured in the same call); ``full_table_train_s``: (update_ms x epochs +
measurement_ms x metric_epochs) x updates_per_epoch, in seconds (the epoch
draws and dead-code checks, once per epoch, are left out). Nothing is written.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

from experiments import PANELS, experiment
from experiments.runner import DEFAULT_SEEDS, run_experiment
from experiments.table1 import AUTHORS, AUTHORS_DEFAULT_SEEDS, AUTHORS_ROWS, ROWS
from lamsim.errors import SEED_LIMIT, SEEDS_ALLOWED, STEP_LIMIT, fail, integer
from lamsim.gridworld.authors import train as at
from lamsim.gridworld.authors.networks import FORMULATIONS, AuthorsLAM
from lamsim.gridworld.authors.settings import profile as authors_profile
from lamsim.gridworld.ours import train
from lamsim.gridworld.ours.networks import LAM
from lamsim.gridworld.ours.settings import Config
from lamsim.linear.fields import PROFILES
from lamsim.runtime import results
from lamsim.runtime.devices import compile_for_analysis, compiled_flops, use_all_host_cores


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


def numpy_sgemm_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This machine's numpy float32 matrix-product rate, GFLOP/s: 2 n^3 over the fastest of
    ``repeats`` products of two n x n matrices, after one warm-up product."""
    import numpy as np

    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    a @ b
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def _ms_per_step(compiled, args: tuple, steps: int) -> float:
    """Milliseconds per step of ``compiled`` (a scan of ``steps`` steps) on ``args``: one call
    timed after one warm-up call."""
    import jax

    jax.block_until_ready(compiled(*args))
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(*args))
    return round((time.perf_counter() - t0) / steps * 1e3, 3)


def time_table1_step(seeds: int = 20, steps: int = 200) -> dict:
    """Milliseconds per update of Table 1's runs: whole, and each part on its own."""
    import jax
    import jax.numpy as jnp
    import optax

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
        out[f"{name}_ms"] = _ms_per_step(jax.jit(fn).lower(state).compile(), (state,), steps)
    one = compiled_flops(compile_for_analysis(lambda s: segment(s, run_seeds, knobs, jnp.int32(0), 1), state))
    # XLA costs one device's share of a sharded program (checked: 1 device and 2 give the same total).
    shares = out["devices"] if sharded else 1
    out["gflop_per_update"] = round(one * shares / 1e9, 3)
    out["gflops_achieved"] = round(out["gflop_per_update"] / (out["update_ms"] / 1e3), 1)
    out["full_table_train_s"] = round(out["update_ms"] / 1e3 * config.steps, 1)
    out["sgemm_gflops"] = round(numpy_sgemm_gflops(), 1)
    out["share_of_sgemm"] = round(out["gflops_achieved"] / out["sgemm_gflops"], 4)
    return out


def time_authors_step(config, seeds: int = 5, steps: int = 20, formulation: Optional[str] = None) -> dict:
    """Milliseconds per update of Table 1's runs under the authors' protocol (the 7 rows x ``seeds``
    runs at ``config``, an :class:`~lamsim.gridworld.authors.settings.AuthorsConfig`): whole, and
    each part on its own; GFLOP per update, the rate reached and its share of numpy's sgemm rate.
    ``formulation``: the update's (:data:`~lamsim.gridworld.authors.networks.FORMULATIONS`;
    default the trainer's, ``UPDATE_FORMULATION``)."""
    import jax
    import jax.numpy as jnp
    import optax

    seeds = integer("seeds", seeds, 1, SEED_LIMIT)
    steps = integer("steps", steps, 1, STEP_LIMIT - 1)
    formulation = at.UPDATE_FORMULATION if formulation is None else formulation
    if formulation not in FORMULATIONS:
        fail("formulation", formulation, f"must be one of {', '.join(FORMULATIONS)}")
    run_seeds, knobs, state, data, _ = at.prepare_runs(config, list(AUTHORS_ROWS.values()), list(range(seeds)))
    runs = int(run_seeds.shape[0])
    sharded = run_seeds.sharding.num_devices > 1
    model = AuthorsLAM(config, formulation)
    opt = at.optimiser(config)
    update = at.make_update(config, formulation)
    per_epoch = config.updates_per_epoch
    draws = jax.jit(jax.vmap(lambda seed: at.epoch_draws(at.run_keys(seed)[2], jnp.int32(0), config)))(run_seeds)
    batches = jax.vmap(lambda d, dr, k, i: at.make_batch(d, dr, i, k, config), in_axes=(0, 0, 0, None))
    fixed = jax.jit(batches)(data, draws, knobs, jnp.int32(0))

    def index(step, carried):
        # The barrier ties the update index to a value carried by the loop, so XLA never hoists work
        # that depends only on it out of the loop (it would, with one update per epoch).
        return jax.lax.optimization_barrier((step % per_epoch, carried))[0]

    def scan(body, init):
        return jax.lax.scan(body, init, jnp.arange(steps, dtype=jnp.int32))[0]

    def whole(state, data, draws, knobs, fixed):
        def body(s, step):
            i = index(step, s.strikes)
            return jax.vmap(lambda s, d, dr, k: update(s, d, dr, k, i, False)[0])(s, data, draws, knobs), None
        return scan(body, state)

    def data_only(state, data, draws, knobs, fixed):
        def body(acc, step):
            b = batches(data, draws, knobs, index(step, acc))
            return acc + sum(jnp.sum(x.astype(jnp.float32)) for x in jax.tree.leaves(b)), None
        return scan(body, jnp.float32(0))

    def network_only(state, data, draws, knobs, fixed):  # the gradient step keeps the pass in the loop
        def one(params, batch_stats, batch):
            grads, (_, _, batch_stats) = jax.grad(at.loss_terms, has_aux=True)(params, batch_stats, model, batch)
            return jax.tree.map(lambda p, g: p - 1e-4 * g, params, grads), batch_stats

        def body(carry, step):
            return jax.vmap(one)(*carry, fixed), None
        return scan(body, (state.params, state.batch_stats))

    def adam_only(state, data, draws, knobs, fixed):
        def one(params, opt_state):
            updates, opt_state = opt.update(jax.tree.map(lambda p: 1e-3 * p, params), opt_state, params)
            return optax.apply_updates(params, updates), opt_state

        def body(carry, step):
            return jax.vmap(one)(*carry), None
        return scan(body, (state.params, state.opt_state))

    def measurement_only(state, data, draws, knobs, fixed):
        def one(params, batch_stats, d, dr, k, step):
            return at.heldout_errors(params, batch_stats, model, d, jax.random.fold_in(dr.eval_key, step), k)

        def body(acc, step):
            out = jax.vmap(one, in_axes=(0, 0, 0, 0, 0, None))(state.params, state.batch_stats, data, draws, knobs,
                                                                step)
            return jax.tree.map(lambda a, x: a + jnp.sum(x), acc, out), None
        return scan(body, (jnp.float32(0),) * 3)

    args = (state, data, draws, knobs, fixed)
    out = {"protocol": "authors", "runs": runs, "settings": len(AUTHORS_ROWS), "seeds": seeds,
           "batch": config.batch, "width": config.width, "mlp_width": config.mlp_width,
           "updates_per_epoch": per_epoch, "epochs": config.epochs, "metric_epochs": config.metric_epochs,
           "devices": jax.device_count(), "sharded": sharded, "steps_timed": steps, "formulation": formulation}
    # XLA costs one device's share of a sharded program (as in time_table1_step).
    shares = out["devices"] if sharded else 1

    def flops(compiled) -> float:
        return compiled_flops(compiled) * shares

    for name, fn in (("update", whole), ("data", data_only), ("forward_backward", network_only),
                     ("adam", adam_only), ("measurement", measurement_only)):
        compiled = jax.jit(fn).lower(*args).compile()
        if name == "update":
            scan_flops = flops(compiled)
        out[f"{name}_ms"] = _ms_per_step(compiled, args, steps)

    def single(state, data, draws, knobs):  # one update of all runs, not a scan
        return jax.vmap(lambda s, d, dr, k: update(s, d, dr, k, jnp.int32(0), False)[0])(state, data, draws, knobs)

    # = runs x plan()'s one-run update (checked: within 0.04%; plan() rounds to 4 decimals per run).
    one = flops(compile_for_analysis(single, state, data, draws, knobs))
    out["gflop_per_update"] = float(f"{one / 1e9:.6g}")
    # XLA's cost analysis of the scan of ``steps`` updates counts its body once, not ``steps`` times.
    out["gflop_scan_cost_analysis"] = float(f"{scan_flops / 1e9:.6g}")
    out["gflops_achieved"] = round(out["gflop_per_update"] / (out["update_ms"] / 1e3), 3)
    out["sgemm_gflops"] = round(numpy_sgemm_gflops(), 1)
    out["share_of_sgemm"] = float(f"{out['gflops_achieved'] / out['sgemm_gflops']:.4g}")
    train_s = (out["update_ms"] * config.epochs + out["measurement_ms"] * config.metric_epochs) * per_epoch / 1e3
    out["full_table_train_s"] = float(f"{train_s:.4g}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments timing", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", nargs=2, default=["fast", "exact"], metavar="PROFILE")
    p.add_argument("--panels", nargs="+", default=list(PANELS), metavar="NAME")
    p.add_argument("--seeds", type=int, default=None,
                   help=f"seeds (default {DEFAULT_SEEDS}; Table 1: 20; --protocol authors: 5 per setting)")
    p.add_argument("--steps", type=int, default=None,
                   help="updates timed per part with --table1 (default 200; --protocol authors: 20)")
    p.add_argument("--table1", action="store_true", help="time Table 1's update and its parts instead")
    p.add_argument("--protocol", default=None, metavar="ours|authors",
                   help="with --table1: our variant (ours, default) or the authors' protocol")
    authors = p.add_argument_group("--table1 --protocol authors only")
    authors.add_argument("--profile", default=None, metavar="cpu|faithful",
                         help="the authors' config at reduced width (cpu, default) or at their size (faithful)")
    authors.add_argument("--width", type=int, default=None, help="override the config's width (filters)")
    authors.add_argument("--mlp-width", dest="mlp_width", type=int, default=None,
                         help="override the config's mlp_width")
    authors.add_argument("--formulation", default=None, metavar="per-frame|per-sample",
                         help="how the update is computed (default: the trainer's)")
    p.add_argument("--out", default="results", help="where timing.json goes (default results/)")
    args = p.parse_args(argv)
    use_all_host_cores()
    try:
        if args.protocol is not None and not args.table1:
            fail("protocol", args.protocol, "needs --table1")
        protocol = args.protocol or "ours"
        if protocol not in ("ours", "authors"):
            fail("protocol", protocol, "must be one of ours, authors")
        overrides = {k: getattr(args, k) for k in ("width", "mlp_width") if getattr(args, k) is not None}
        authors_only = {**overrides, **({} if args.formulation is None else {"formulation": args.formulation})}
        if protocol != "authors" and (authors_only or args.profile is not None):
            field, value = ("profile", args.profile) if args.profile is not None else next(iter(authors_only.items()))
            fail(field, value, "needs --table1 --protocol authors (the authors' protocol's sizes)")
        if args.table1 and protocol == "authors":
            seeds = integer("seeds", AUTHORS_DEFAULT_SEEDS if args.seeds is None else args.seeds, 1, SEED_LIMIT,
                            SEEDS_ALLOWED)
            steps = integer("steps", 20 if args.steps is None else args.steps, 1, STEP_LIMIT - 1)
            config = authors_profile(args.profile or AUTHORS.profile, **overrides)
            timed = time_authors_step(config, seeds, steps, args.formulation)
            print(json.dumps({"profile": args.profile or AUTHORS.profile, **timed}, indent=2))
            return 0
        if args.table1:
            seeds = integer("seeds", 20 if args.seeds is None else args.seeds, 1, SEED_LIMIT, SEEDS_ALLOWED)
            steps = integer("steps", 200 if args.steps is None else args.steps, 1, STEP_LIMIT - 1)
            print(json.dumps(time_table1_step(seeds, steps), indent=2))
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
