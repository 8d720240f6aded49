"""Test set-up: every host core as a JAX device, like the command-line tools; one compilation cache
for the whole run; the test files that share a trained model in one pytest worker.

The cache is a fresh folder per run, shared by the pytest workers and by the processes the tests
start (through ``JAX_COMPILATION_CACHE_DIR``): a program that several tests compile (the same
trainer at the same shapes, a command run in a subprocess) is compiled once per run. Nothing is
kept between runs, so every run starts cold.
"""
import os
import shutil
import tempfile
from pathlib import PurePath

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # A pytest worker per core: each takes one core (one host device, XLA's CPU work on one thread),
    # so that the workers do not contend for the same cores.
    os.environ.setdefault("LAMSIM_HOST_DEVICES", "1")
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()

from lamsim.runtime.devices import use_all_host_cores  # noqa: E402

use_all_host_cores()

#: Test files that run in one pytest worker (each other file is a unit of its own, as with
#: ``--dist loadfile``), so that what they share is trained and compiled once per run.
SAME_WORKER = {
    # The authors' Table 1 at the tiny size: every row x 2 seeds (authors_tiny_trained) and the
    # one-run program of a unit.
    "test_table1_authors_train.py": "authors_tiny",
    "test_table1_units.py": "authors_tiny",
}

#: The units of work that take longest, longest first (seconds of one worker in ``make test``,
#: docs/performance.md Sec. 11). A free worker takes the next unit, so starting with these ends
#: the run on short ones; the other files follow, most tests first (pytest-xdist's own order). A
#: stale entry only costs balance, never a test.
LONGEST_FIRST = (
    "test_optimum.py", "test_idm.py", "test_train.py", "authors_tiny", "test_table1.py",
    "test_table1_authors.py", "test_authors_formulations.py", "test_agreement.py", "test_exact.py",
    "test_paper_reading.py", "test_timing_authors.py", "test_experiments.py", "test_devices.py",
    "test_figures.py", "test_cli_gaps.py", "test_generators.py", "test_multihost.py", "test_cli.py",
)

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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the files of :data:`SAME_WORKER` sent to one worker together and
    the units of :data:`LONGEST_FIRST` sent first."""
    from xdist.scheduler import LoadScopeScheduling

    class FilesAndGroups(LoadScopeScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return SAME_WORKER.get(PurePath(path).name, path)

        def _assign_work_unit(self, node):
            if not self.ordered:  # the first assignment: the queue is complete
                self.ordered = True
                for name in reversed(LONGEST_FIRST):
                    for scope in [s for s in self.workqueue if PurePath(s).name == name]:
                        self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return FilesAndGroups(config, log)


@pytest.fixture(scope="session")
def authors_tiny_trained():
    """tests/authors_tiny.py's training: every row of the authors' Table 1 x 2 seeds, tiny."""
    from authors_tiny import train_every_row

    return train_every_row()
