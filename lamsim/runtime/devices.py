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
    if _FLAG in flags:
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    count = int(os.environ.get("LAMSIM_HOST_DEVICES", cores))
    if count > 1:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={count}".strip()


def initialize_distributed() -> None:
    """Join a multi-process run. Every process runs the same command; the mesh
    then spans every device of every process, each process feeds its own
    shards, and results are gathered (:func:`to_host`).

    The coordinator's address, the process count and this process's id come
    from ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES`` and
    ``JAX_PROCESS_ID`` when set, else from the cluster (SLURM, Open MPI, TPU
    pods: ``jax.distributed.initialize()`` detects them). On CPU the processes
    exchange arrays through gloo collectives."""
    import jax

    # Only the CPU backend reads this; it must be set before any backend starts.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    env = {k: os.environ.get(k) for k in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")}
    if all(env.values()):
        jax.distributed.initialize(coordinator_address=env["JAX_COORDINATOR_ADDRESS"],
                                   num_processes=int(env["JAX_NUM_PROCESSES"]), process_id=int(env["JAX_PROCESS_ID"]))
    else:
        jax.distributed.initialize()


def mesh():
    """A 1-D mesh named ``runs`` over every device (of every process)."""
    import jax
    import numpy as np
    from jax.sharding import Mesh

    return Mesh(np.asarray(jax.devices()), ("runs",))


def sharding(ndim: int, axis):
    """NamedSharding of an ``ndim`` array split along ``axis`` (replicated if None)."""
    from jax.sharding import NamedSharding, PartitionSpec

    spec = [None] * ndim
    if axis is not None:
        spec[axis] = "runs"
    return NamedSharding(mesh(), PartitionSpec(*spec))


def shard_axis(tree, axis):
    """Place every array of ``tree`` (identical on every process) split along ``axis``.

    Each process supplies only the shards of its own devices, so this works on
    one host and across hosts alike."""
    import jax
    import numpy as np

    def place(x):
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding(x.ndim, axis), lambda index: x[index])

    return jax.tree.map(place, tree)


def to_host(tree):
    """Every array of ``tree`` as a full numpy array on this process."""
    import jax
    import numpy as np

    if jax.process_count() > 1:
        from jax.experimental import multihost_utils

        return multihost_utils.process_allgather(tree, tiled=True)
    return jax.tree.map(np.asarray, tree)


#: What a sweep's chunks may take on the host (CPU backend).
HOST_MEMORY_BUDGET = 4 * 2 ** 30
#: The share of an accelerator's memory a chunk may take (the rest: XLA's temporaries, evaluation).
ACCELERATOR_SHARE = 0.5


def memory_budget(backend: str = None, n_devices: int = None, device_memory: float = None) -> int:
    """Bytes a chunk of training runs may take, over all devices.

    On CPU a fixed host budget; on GPU and TPU a share of the devices' memory,
    read from the devices (``memory_stats()['bytes_limit']``) unless
    ``device_memory`` (bytes per device) is given, as when planning for a
    machine one does not have."""
    import jax

    backend = jax.default_backend() if backend is None else backend
    if backend == "cpu":
        return HOST_MEMORY_BUDGET
    if device_memory is None:
        stats = [d.memory_stats() or {} for d in jax.local_devices()]
        limits = [st.get("bytes_limit") for st in stats]
        if not all(limits):
            return HOST_MEMORY_BUDGET
        return int(ACCELERATOR_SHARE * sum(limits) * jax.process_count())
    n_devices = jax.device_count() if n_devices is None else n_devices
    return int(ACCELERATOR_SHARE * device_memory * n_devices)
