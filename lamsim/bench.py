"""Benchmarks: ``lamsim bench`` (one number) and ``lamsim bench --suite`` (the scaling table).

``bench``: N copies of the standard setting (d_o 128, d_a 8, d_z 8, iid sigma
0.5, batch 128), each its own seed (its own data: nothing shared), trained by
one compiled scan, sharded over the local devices; timed once with the
sample-based trainer (``fast``: a fresh batch per step) and once with the
``exact`` one (the closed-form expected loss), in the same process.

``suite``: on one machine, in one run: the vmapped trainer on 1, 16, 64 and 256
settings of one seed (iid sigma spread over [0.1, 1.5]: common random numbers,
as in a sweep); the same settings trained one at a time by the same JAX code
(the sequential baseline); d_o in {128, 512, 2048}; the process's peak memory.
"""
from __future__ import annotations

import resource
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from lamsim.linear import exact, world
from lamsim.linear.model import matmul_flops
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Axis, Sweep, run_sweep
from lamsim.linear.train import group_shape, knobs_of, make_trainer
from lamsim.runtime import devices
from lamsim.runtime.results import atomic_write

STANDARD = Setting(noise="iid", sigma=0.5, d_z=8)


def _time_training(settings, seeds, steps: int, repeats: int, shard: bool) -> tuple[float, float]:
    """(compile seconds, best run seconds) of ``steps`` steps of settings x seeds."""
    settings = [s.replace(steps=steps) for s in settings]
    shape = group_shape(settings)
    init, segment = make_trainer(shape)
    seeds_arr = jnp.asarray(seeds, jnp.int32)
    knobs = knobs_of(settings)
    env = world.environments(seeds, shape.d_o, shape.d_a, shape.d_b)
    if shard:
        # Shard whichever run axis splits evenly: seeds (independent copies) or settings (a sweep).
        n = jax.device_count()
        seed_axis = len(seeds) % n == 0
        seeds_arr = devices.shard_axis(seeds_arr, 0 if seed_axis else None)
        env = devices.shard_axis(env, 0 if seed_axis else None)
        knobs = devices.shard_axis(knobs, None if seed_axis else 0)
    state = jax.jit(init)(seeds_arr, knobs)
    t0 = time.perf_counter()
    compiled = jax.jit(segment, static_argnums=5).lower(state, seeds_arr, env, knobs, jnp.int32(0), steps).compile()
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(state, seeds_arr, env, knobs, jnp.int32(0)))
        best = min(best, time.perf_counter() - t0)
    return compile_s, best


def _machine() -> dict:
    return {"device": str(jax.devices()[0].device_kind), "n_devices": jax.device_count(),
            "backend": jax.default_backend(), "jax_version": jax.__version__}


def peak_memory_gib() -> float:
    """Peak resident memory of this process (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def bench(configs: int = 64, steps: int = 1000, setting: Setting = STANDARD, repeats: int = 2) -> dict:
    """Throughput of ``configs`` independent seeds of ``setting`` (best of ``repeats``)
    under both trainers, ``sample`` (the ``fast`` profile: a batch of
    ``setting.batch`` per step) and ``exact``, and ``exact_over_sample``, the
    ratio of their config-steps/s."""
    divisible = configs % jax.device_count() == 0
    flops = {"fast": matmul_flops(setting.batch, setting.d_o, setting.d_z),
             "exact": exact.matmul_flops(setting.d_o, setting.d_z)}
    reports = {}
    for trainer, profile in (("sample", "fast"), ("exact", "exact")):
        compile_s, best = _time_training([setting.replace(profile=profile)], list(range(configs)), steps, repeats,
                                         shard=divisible)
        rate = configs * steps / best
        reports[trainer] = {"profile": profile, "config_steps_per_s": round(rate, 1), "compile_s": round(compile_s, 3),
                            "run_s": round(best, 6), "gflops": round(rate * flops[profile] / 1e9, 2)}
    setting_fields = {k: v for k, v in setting.to_dict().items() if k not in ("profile", "steps")}
    ratio = reports["exact"]["config_steps_per_s"] / reports["sample"]["config_steps_per_s"]
    return {"configs": configs, "steps": steps, "setting": setting_fields, **reports,
            "exact_over_sample": round(ratio, 2), **_machine()}


def sweep_settings(n: int, d_o: int = 128) -> list:
    """``n`` settings of one sweep: iid sigma spread over [0.1, 1.5], d_z 8."""
    return [STANDARD.replace(d_o=d_o, sigma=float(s)) for s in np.linspace(0.1, 1.5, n)]


def suite(steps: int = 500, counts=(1, 16, 64, 256), d_os=(128, 512, 2048), sequential_max: int = 64,
          log=print) -> dict:
    """The scaling table (see the module docstring). ``sequential_max`` caps how many
    settings the sequential baseline trains one at a time (its rate does not depend on it)."""
    rows = []
    for n in counts:
        compile_s, best = _time_training(sweep_settings(n), [0], steps, 1, shard=n % jax.device_count() == 0)
        rows.append({"settings": n, "config_steps_per_s": round(n * steps / best, 1), "compile_s": round(compile_s, 2)})
        log(f"vmapped {n:4d} settings: {rows[-1]['config_steps_per_s']:9.1f} config-steps/s")
    seq_n = min(sequential_max, max(counts))
    total, compile_s = 0.0, 0.0
    for k, s in enumerate(sweep_settings(seq_n)):
        c, best = _time_training([s], [0], steps, 1, shard=False)
        total += best
        compile_s = compile_s if k else c
    sequential = {"settings": seq_n, "config_steps_per_s": round(seq_n * steps / total, 1),
                  "compile_s_first": round(compile_s, 2)}
    log(f"sequential, one at a time: {sequential['config_steps_per_s']:9.1f} config-steps/s")
    by_d_o = []
    for d_o in d_os:
        n = 16
        d_steps = max(10, steps * 128 ** 2 // d_o ** 2)
        compile_s, best = _time_training(sweep_settings(n, d_o), [0], d_steps, 1, shard=True)
        rate = n * d_steps / best
        by_d_o.append({"d_o": d_o, "settings": n, "steps": d_steps, "config_steps_per_s": round(rate, 1),
                       "gflops": round(rate * matmul_flops(128, d_o, 8) / 1e9, 1)})
        log(f"d_o {d_o:5d}: {rate:9.1f} config-steps/s, {by_d_o[-1]['gflops']} GFLOP/s")
    at64 = next((r for r in rows if r["settings"] == 64), rows[-1])
    return {"steps": steps, "vmapped": rows, "sequential": sequential, "d_o": by_d_o,
            "speedup_vs_sequential_at_64": round(at64["config_steps_per_s"] / sequential["config_steps_per_s"], 2),
            "peak_memory_gib": round(peak_memory_gib(), 3), **_machine()}


def memory_sweep(n_settings: int = 2048, d_o: int = 512, steps: int = 20, budget_gib: float = 4.0) -> dict:
    """Run a whole sweep of ``n_settings`` settings at ``d_o`` through the chunked
    runner and report the peak memory of the process."""

    sweep = Sweep("memory", STANDARD.replace(d_o=d_o, steps=steps),
                  axes=(Axis.of("sigma", np.round(np.linspace(0.05, 2.0, n_settings), 6)),), seeds=1)
    t0 = time.perf_counter()
    result = run_sweep(sweep, memory_budget=int(budget_gib * 2 ** 30))
    return {"settings": n_settings, "d_o": d_o, "steps": steps, "memory_budget_gib": budget_gib,
            "chunks": result.meta["chunks"], "wall_s": round(time.perf_counter() - t0, 1),
            "peak_memory_gib": round(peak_memory_gib(), 3),
            "all_finite": bool(np.all(np.isfinite(result.arrays["loss"]))), **_machine()}


def plot_suite(report: dict, path) -> None:
    """Throughput vs number of settings, vmapped against the sequential baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    n = [r["settings"] for r in report["vmapped"]]
    ax.plot(n, [r["config_steps_per_s"] for r in report["vmapped"]], "o-", label="vmapped, one compiled scan")
    ax.axhline(report["sequential"]["config_steps_per_s"], color="tab:red", ls="--", label="one setting at a time")
    ax.set(xscale="log", xlabel="settings trained together", ylabel="config-steps / s",
           title=f"Throughput ({report['device']}, {report['n_devices']} device(s))")
    ax.legend(fontsize=8)
    d = report["d_o"]
    ax2.plot([r["d_o"] for r in d], [r["gflops"] for r in d], "o-")
    ax2.set(xscale="log", xlabel="observation size $d_o$", ylabel="model matmul GFLOP/s",
            title="Scaling with $d_o$ (16 settings)")
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda f: fig.savefig(f, format=path.suffix.lstrip(".") or "png", dpi=150))
    plt.close(fig)
