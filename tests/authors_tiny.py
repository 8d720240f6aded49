"""The tiny size at which the tests train Table 1 as the authors ran it, and its one 14-run
training (every row x seeds 0 and 1), shared by the test files that need it (tests/conftest.py
runs them in one pytest worker, so its programs compile once)."""
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
    rows = list(AUTHORS_ROWS.values())
    state, knobs = at.train_runs(config, rows, list(SEEDS))
    # The initial state and data as training drew them: the trainer's own compiled initialisation.
    _, _, initial, data, _ = at.prepare_runs(config, rows, list(SEEDS))
    return config, state, knobs, initial, data
