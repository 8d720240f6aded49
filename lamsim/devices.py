"""Devices: one mesh axis over every local device, and host-CPU splitting.

XLA:CPU runs a batch of small matrix products on about one core. Exposing the
host as one device per core (``--xla_force_host_platform_device_count``) and
sharding the batch of runs over them uses every core: on the 2-core reference
machine this doubles training throughput. :func:`use_all_host_cores` sets the
flag; it must run before JAX initialises its backends (the command-line entry
points call it first thing), and it never overrides a user's own XLA_FLAGS
device count. On GPU/TPU the flag has no effect on the accelerator devices.
"""
from __future__ import annotations

import os

_FLAG = "--xla_force_host_platform_device_count"


def use_all_host_cores() -> None:
    """Ask XLA for one host device per available core, unless told otherwise."""
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG in flags or os.environ.get("LAMSIM_HOST_DEVICES") == "1":
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    count = int(os.environ.get("LAMSIM_HOST_DEVICES", cores))
    if count > 1:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={count}".strip()


def mesh():
    """A 1-D mesh named ``runs`` over all local devices."""
    import jax
    import numpy as np
    from jax.sharding import Mesh

    return Mesh(np.asarray(jax.local_devices()), ("runs",))


def shard_axis(tree, axis: int):
    """Place every array of ``tree`` sharded along ``axis`` (replicated if None)."""
    import jax
    from jax.sharding import NamedSharding, PartitionSpec

    m = mesh()

    def place(x):
        if axis is None:
            return jax.device_put(x, NamedSharding(m, PartitionSpec()))
        spec = [None] * x.ndim
        spec[axis] = "runs"
        return jax.device_put(x, NamedSharding(m, PartitionSpec(*spec)))

    return jax.tree.map(place, tree)
