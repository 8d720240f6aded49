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
import re
import sys
import threading

from lamsim.errors import InputError, fail, integer

_FLAG = "--xla_force_host_platform_device_count"
#: The variables naming the coordinator (process 0's HOST:PORT), the process count and this process's id.
COORDINATOR_VARIABLES = ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID")
#: Seconds a process waits for every process to join a distributed run (JAX's own default).
DISTRIBUTED_TIMEOUT = 300
#: Seconds JAX's start-up deadline is set beyond ours: at its deadline JAX aborts the process
#: (SIGABRT and a C++ stack trace) instead of raising, so ours must come first.
_JAX_DEADLINE_MARGIN = 30


def use_all_host_cores() -> None:
    """Ask XLA for one host device per available core, unless told otherwise (``LAMSIM_HOST_DEVICES``,
    an integer >= 1, or a device count in ``XLA_FLAGS``)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if _FLAG in flags:
        return
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    count = _env_integer("LAMSIM_HOST_DEVICES", os.environ.get("LAMSIM_HOST_DEVICES", str(cores)), 1)
    if count > 1:
        os.environ["XLA_FLAGS"] = f"{flags} {_FLAG}={count}".strip()


def initialize_distributed(timeout: int = DISTRIBUTED_TIMEOUT) -> None:
    """Join a multi-process run. Every process runs the same command; the mesh
    then spans every device of every process, each process feeds its own
    shards, and results are gathered (:func:`to_host`).

    The coordinator's address, the process count and this process's id come
    from ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES`` and
    ``JAX_PROCESS_ID`` where set, the rest from the cluster (SLURM, Open MPI, TPU
    pods: ``jax.distributed.initialize()`` detects them). On CPU the processes
    exchange arrays through gloo collectives.

    Raises :class:`~lamsim.errors.InputError` for a bad value, or naming the
    variables to set when they are unset and no cluster is detected. If not every
    process has joined within ``timeout`` seconds, it prints ``error: ...`` to
    stderr and ends the process with exit status 2: JAX cannot be stopped from
    waiting, and at its own deadline it aborts the process."""
    timeout = integer("distributed_timeout", timeout, 1, allowed="must be an integer >= 1 (seconds)")
    address, count, index = (os.environ.get(k) or None for k in COORDINATOR_VARIABLES)
    if address is not None and not re.fullmatch(r"[^\s]+:[0-9]+", address):
        fail("JAX_COORDINATOR_ADDRESS", address, "must be HOST:PORT, the address of process 0")
    if count is not None:
        count = _env_integer("JAX_NUM_PROCESSES", count, 1)
    if index is not None:
        index = _env_integer("JAX_PROCESS_ID", index, 0, None if count is None else count - 1)
    import jax

    # Only the CPU backend reads this; it must be set before any backend starts.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    who = "this process" if index is None or count is None else f"process {index} of {count}"
    at = "" if address is None else f" at {address}"
    joined = threading.Event()
    threading.Thread(target=_exit_unless_set, daemon=True, args=(
        joined, timeout, f"not every process joined within distributed_timeout={timeout} s ({who}, waiting{at}); "
                         "start every process with the same JAX_COORDINATOR_ADDRESS and JAX_NUM_PROCESSES, or "
                         "wait longer (--distributed-timeout SECONDS)")).start()
    if None not in (address, count, index):
        print(f"[distributed] {who}: waiting up to {timeout} s for every process{at}", file=sys.stderr, flush=True)
    try:
        jax.distributed.initialize(coordinator_address=address, num_processes=count, process_id=index,
                                   initialization_timeout=timeout + _JAX_DEADLINE_MARGIN)
    except (TypeError, ValueError) as e:
        missing = [k for k, v in zip(COORDINATOR_VARIABLES, (address, count, index)) if v is None]
        if not missing:
            raise InputError(f"distributed start-up is invalid: {e}") from None
        raise InputError(f"{', '.join(missing)} unset: a distributed run needs JAX_COORDINATOR_ADDRESS=HOST:PORT "
                         "(process 0's address), JAX_NUM_PROCESSES=N and JAX_PROCESS_ID=I in [0, N) on every "
                         "process, or a cluster that JAX detects (SLURM, Open MPI, TPU pods)") from None
    finally:
        joined.set()


def _env_integer(name: str, text: str, low: int, high: int = None) -> int:
    """The integer an environment variable holds, in [low, high]."""
    allowed = f"must be an integer >= {low}" if high is None else f"must be an integer in [{low}, {high}]"
    try:
        value = int(text)
    except ValueError:
        fail(name, text, allowed)
    return integer(name, value, low, high, allowed)


def _exit_unless_set(event: threading.Event, timeout: float, message: str) -> None:
    """End the process with ``error: message`` and status 2 unless ``event`` is set within ``timeout`` s."""
    if not event.wait(timeout):
        sys.stdout.flush()
        print(f"error: {message}", file=sys.stderr, flush=True)
        os._exit(2)


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


def memory_limit(backend: str = None, n_devices: int = None, device_memory: float = None):
    """Bytes the devices hold, over all devices: the most any chunk could take, or None where unknown.

    ``device_memory`` (bytes per device) times the devices, as when planning for a
    machine one does not have; else on CPU the host's physical memory (per
    process), on GPU and TPU the devices' own limits (``memory_stats()['bytes_limit']``)."""
    import jax

    backend = jax.default_backend() if backend is None else backend
    if device_memory is not None:
        return int(device_memory * (jax.device_count() if n_devices is None else n_devices))
    if backend == "cpu":
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * jax.process_count()
        except (AttributeError, OSError, ValueError):
            return None
    limits = [(d.memory_stats() or {}).get("bytes_limit") for d in jax.local_devices()]
    return int(sum(limits) * jax.process_count()) if all(limits) else None


#: XLA options for a program compiled only to read its cost and memory analyses, never run. Both
#: analyses read XLA's optimised HLO and its buffer assignment, which come before the backend's LLVM
#: passes: skipping those passes changes no number and compiles the authors' update about 1.5x
#: faster on a CPU (docs/performance.md Sec. 11).
ANALYSIS_COMPILER_OPTIONS = {"xla_backend_optimization_level": 0}


def compile_for_analysis(fn, *args):
    """``fn`` jitted and compiled for ``args`` under :data:`ANALYSIS_COMPILER_OPTIONS`: a program to
    read :func:`compiled_flops` and ``memory_analysis()`` from, not to run."""
    import jax

    return jax.jit(fn).lower(*args).compile(compiler_options=ANALYSIS_COMPILER_OPTIONS)


def compiled_flops(compiled) -> float:
    """Floating-point operations of a compiled program from XLA's cost analysis (one device's
    share of a sharded program; a scan's body counted once); NaN where XLA gives none."""
    analysis = compiled.cost_analysis()
    analysis = analysis[0] if isinstance(analysis, list) else analysis
    return float((analysis or {}).get("flops", float("nan")))
