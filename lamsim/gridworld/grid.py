"""The 4x4 frame that both Table 1 protocols share (:mod:`lamsim.gridworld.ours` and
:mod:`lamsim.gridworld.authors`): its size, the agent's rows, the five actions and their moves,
the noise levels and the snake policy's correlation.

A frame is a 4x4 single-channel image. Rows 0-2 (:data:`AGENT_ROWS`) hold the agent, one lit cell
of 1.0 among :data:`CELLS`; row 3 holds noise, whose lit cells are worth :data:`NOISE_INTENSITY`.
What happens at the border (a torus in ours, walls in the authors'), how the noise is drawn and
how data are sampled belong to each protocol's ``world`` module.
"""
from __future__ import annotations

import numpy as np

SIZE = 4
AGENT_ROWS = 3
CELLS = AGENT_ROWS * SIZE
ACTIONS = ("stay", "up", "down", "left", "right")
N_ACTIONS = len(ACTIONS)
#: (row, column) displacement of each action, in the order of ACTIONS.
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int32)
NOISE_INTENSITY = {"none": 0.0, "low": 1.0, "high": 2.0}
#: Probability that the correlated policy follows the snake (else uniform).
SNAKE_CORRELATION = 0.95
