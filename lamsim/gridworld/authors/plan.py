"""A dry-run plan of Table 1 as the authors ran it (paper Sec. 5): FLOPs, memory and time of its
runs from XLA's cost and memory analyses of one compiled update and one held-out measurement of
one run (:mod:`lamsim.gridworld.authors.train`), without training.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from lamsim.errors import fail, positive
from lamsim.gridworld.authors.networks import AuthorsLAM
from lamsim.gridworld.authors.settings import AuthorsConfig, AuthorsSetting, knobs_of
from lamsim.gridworld.authors.train import UPDATE_FORMULATION, epoch_draws, heldout_errors, make_trainer, make_update
from lamsim.runtime import devices

#: Assumed sustained rate of the update per backend, FLOP/s, for a plan's time: on one H200, about
#: a sixth of its 67 TFLOP/s float32 peak without tensor cores (small batched matmuls); on a
#: two-core host, a few times below its sgemm rate.
ASSUMED_FLOPS = {"gpu": 1e13, "cpu": 3e10}
#: Assumed least time of one update of all runs on a GPU (the kernel launches of a scan step), seconds.
ASSUMED_GPU_UPDATE_FLOOR_S = 5e-4


def _one_run(tree):
    """Shapes [R, ...] -> the shapes of one run."""
    return jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape[1:], x.dtype), tree)


def plan(config: AuthorsConfig, runs: int, backend: str = "gpu", device_memory: float = None,
         flops_per_s: float = None, formulation: str = UPDATE_FORMULATION) -> dict:
    """A dry-run plan of ``runs`` vmapped runs at ``config``, from XLA's cost and memory analyses
    of one compiled update and one held-out measurement of one run (compiled for this host's
    backend; the FLOPs do not depend on it, the temporaries roughly), without training.

    Returns FLOPs per update (one run; the training batch's forward and backward pass and Adam)
    and per measurement, the total, the bytes a run holds (state, data) and an update's
    temporaries, the memory of all runs, whether it fits ``device_memory`` bytes (if given), and
    the time at ``flops_per_s`` (default :data:`ASSUMED_FLOPS` of ``backend``), on a GPU not less
    than :data:`ASSUMED_GPU_UPDATE_FLOOR_S` per update of all runs; the update and measurement
    computed under ``formulation``.
    """
    if flops_per_s is None:
        if backend not in ASSUMED_FLOPS:
            fail("backend", backend, f"must be one of {', '.join(ASSUMED_FLOPS)} unless a rate is given")
        flops_per_s = ASSUMED_FLOPS[backend]
    positive("flops_per_s", flops_per_s)
    model = AuthorsLAM(config, formulation)
    update = make_update(config, formulation)
    init, _ = make_trainer(config)
    knobs = knobs_of([AuthorsSetting()], config)
    state, data = _one_run(jax.eval_shape(init, jnp.zeros((1,), jnp.int32), knobs))
    knobs = _one_run(jax.eval_shape(lambda k: k, knobs))
    draws = jax.eval_shape(lambda: epoch_draws(jax.random.key(0), jnp.int32(0), config))

    def nbytes(tree) -> int:
        return int(sum(math.prod(x.shape) * np.dtype(x.dtype).itemsize for x in jax.tree.leaves(tree)
                       if not jax.dtypes.issubdtype(x.dtype, jax.dtypes.prng_key)))

    def measure_only(state, data, knobs):
        return heldout_errors(state.params, state.batch_stats, model, data, jax.random.key(0), knobs)

    def update_only(state, data, draws, knobs):
        # A constant predicate: XLA drops the measurement branch, which "measure" costs apart.
        return update(state, data, draws, knobs, jnp.int32(0), False)

    compiled = {"update": devices.compile_for_analysis(update_only, state, data, draws, knobs),
                "measure": devices.compile_for_analysis(measure_only, state, data, knobs)}
    cost = {}
    for name, c in compiled.items():
        memory = c.memory_analysis()
        cost[name] = {"flops": devices.compiled_flops(c),
                      "temp_bytes": int(getattr(memory, "temp_size_in_bytes", 0) or 0)}
    updates = config.epochs * config.updates_per_epoch
    measured = config.metric_epochs * config.updates_per_epoch
    total_flops = runs * (updates * cost["update"]["flops"] + measured * cost["measure"]["flops"])
    run_bytes = nbytes(state) + nbytes(data)
    peak = runs * (run_bytes + max(cost["update"]["temp_bytes"], cost["measure"]["temp_bytes"]))
    floor = ASSUMED_GPU_UPDATE_FLOOR_S if backend == "gpu" else 0.0
    seconds = max(total_flops / flops_per_s, (updates + measured) * floor)
    out = {"runs": runs, "updates_per_run": updates, "measured_updates_per_run": measured,
           "gflop_per_update_per_run": round(cost["update"]["flops"] / 1e9, 4),
           "gflop_per_measurement_per_run": round(cost["measure"]["flops"] / 1e9, 4),
           "gflop_per_update_all_runs": round(runs * cost["update"]["flops"] / 1e9, 2),
           "total_tflop": round(total_flops / 1e12, 2),
           "state_and_data_mib_per_run": round(run_bytes / 2 ** 20, 2),
           "update_temp_mib_per_run": round(cost["update"]["temp_bytes"] / 2 ** 20, 2),
           "memory_gib_all_runs": round(peak / 2 ** 30, 3),
           "assumed_flops_per_s": flops_per_s, "assumed_update_floor_s": floor,
           "estimated_train_s": round(seconds, 1)}
    if device_memory is not None:
        out["device_memory_gib"] = round(device_memory / 2 ** 30, 1)
        out["fits_one_program"] = bool(peak <= devices.ACCELERATOR_SHARE * device_memory)
    return out
