"""The tiny size at which the tests train Table 1 as the authors ran it, and its one 14-run
training (every row x seeds 0 and 1), shared by the test files that need it (tests/conftest.py
runs them in one pytest worker, so its programs compile once)."""
import jax
import jax.numpy as jnp

from lamsim.gridworld.authors import settings as asg
from lamsim.gridworld.authors import train as at

TINY = dict(width=4, mlp_width=8, batch=32, epochs=6, trajectories=200, frames=12, metric_epochs=2)
#: The seeds of :func:`train_every_row`; run ``2 * row + seed`` is ``row``'s seed ``seed``.
SEEDS = (0, 1)


def train_every_row():
    """(config, final state [14, ...], knobs [14], initial state, data): every row of the authors'
    table x :data:`SEEDS`, trained in one vmapped program at :data:`TINY`."""
    from experiments.table1 import AUTHORS_ROWS

    config = asg.profile("faithful", **TINY)
    state, knobs = at.train_runs(config, list(AUTHORS_ROWS.values()), list(SEEDS))
    init, _ = at.make_trainer(config)
    seeds = jnp.tile(jnp.asarray(SEEDS, jnp.int32), len(AUTHORS_ROWS))
    knobs_in = asg.knobs_of([r for r in AUTHORS_ROWS.values() for _ in SEEDS], config)
    # Compiled as training compiles it, so the initial draws are the same to the bit.
    initial, data = jax.jit(init).lower(seeds, knobs_in).compile(compiler_options=at.INIT_COMPILER_OPTIONS)(
        seeds, knobs_in)
    return config, state, knobs, initial, data
