"""``lamsim bench``: training throughput of the vmapped trainer.

N copies of the standard setting (d_o 128, d_a 8, d_z 8, iid sigma 0.5,
batch 128), each its own seed (so each draws its own data: no sharing of the
random stream), trained by one compiled scan.
"""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp

from lamsim import data, devices
from lamsim.model import matmul_flops
from lamsim.settings import Setting
from lamsim.sweep import group_shape, knobs_of
from lamsim.train import make_trainer

STANDARD = Setting(noise="iid", sigma=0.5, d_z=8)


def bench(configs: int = 64, steps: int = 1000, setting: Setting = STANDARD, repeats: int = 2) -> dict:
    """Time ``steps`` Adam steps of ``configs`` seeds of ``setting`` (best of ``repeats``)."""
    setting = setting.replace(steps=steps)
    shape = group_shape([setting])
    init, segment = make_trainer(shape)
    seeds = jnp.arange(configs, dtype=jnp.int32)
    knobs = knobs_of([setting])
    envs = [data.environment(s, shape.d_o, shape.d_a, shape.d_b) for s in range(configs)]
    env = jax.tree.map(lambda *xs: jnp.stack(xs), *envs)
    seeds = devices.shard_axis(seeds, 0)
    env = devices.shard_axis(env, 0)
    knobs = devices.shard_axis(knobs, None)
    state = jax.jit(init)(seeds, knobs)
    t0 = time.perf_counter()
    compiled = jax.jit(segment, static_argnums=5).lower(state, seeds, env, knobs, jnp.int32(0), steps).compile()
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(state, seeds, env, knobs, jnp.int32(0)))
        best = min(best, time.perf_counter() - t0)
    rate = configs * steps / best
    return {
        "configs": configs, "steps": steps, "config_steps_per_s": round(rate, 1),
        "compile_s": round(compile_s, 3), "run_s": round(best, 3),
        "gflops": round(rate * matmul_flops(shape.batch, shape.d_o, shape.d_z) / 1e9, 2),
        "device": str(jax.devices()[0].device_kind), "n_devices": jax.device_count(),
        "backend": jax.default_backend(), "jax_version": jax.__version__,
    }
