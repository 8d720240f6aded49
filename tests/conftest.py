"""Test set-up: every host core as a JAX device, like the command-line tools; one compilation cache
for the whole run.

The cache is a fresh folder per run, shared by the pytest workers and by the processes the tests
start (through ``JAX_COMPILATION_CACHE_DIR``): a program that several tests compile (the same
trainer at the same shapes, a command run in a subprocess) is compiled once per run. Nothing is
kept between runs, so every run starts cold.
"""
import os
import shutil
import tempfile

if os.environ.get("PYTEST_XDIST_WORKER"):
    # A pytest worker per core: each takes one core (one host device, XLA's CPU work on one thread),
    # so that the workers do not contend for the same cores.
    os.environ.setdefault("LAMSIM_HOST_DEVICES", "1")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

from lamsim.runtime.devices import use_all_host_cores  # noqa: E402

use_all_host_cores()

_CACHE = "JAX_COMPILATION_CACHE_DIR"
#: Programs that compile faster than this are not worth a file.
_MIN_COMPILE_S = "0.2"


def pytest_configure(config):
    import jax

    if not hasattr(config, "workerinput"):  # the main process: workers and subprocesses inherit it
        config._lamsim_cache = tempfile.mkdtemp(prefix="lamsim-jax-cache-")
        os.environ[_CACHE] = config._lamsim_cache
        os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = _MIN_COMPILE_S
    jax.config.update("jax_compilation_cache_dir", os.environ[_CACHE])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(_MIN_COMPILE_S))


def pytest_unconfigure(config):
    if getattr(config, "_lamsim_cache", None):
        shutil.rmtree(config._lamsim_cache, ignore_errors=True)
