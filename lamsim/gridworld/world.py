"""The 4x4 grid world of the paper's Table 1, sampled in pure JAX with explicit keys.

A frame is a 4x4 single-channel image ``[4, 4]`` (batches add a leading axis,
``[B, 4, 4]``). Rows 0-2 hold the agent, one cell of intensity 1.0 on a 3x4
torus: the five actions (stay, up, down, left, right) move it one cell and wrap
around within rows 0-2. Row 3 holds exogenous noise: every cell is
Bernoulli(0.5) times the noise intensity (0 none, 1 low, 2 high), drawn afresh
for every frame, so nothing about it is predictable from the past.

Transitions are drawn i.i.d.: the agent's cell uniformly over the 12 cells
(the stationary distribution of both policies, whose transition matrices are
doubly stochastic), an action from the policy, the next cell from the move.
Every function takes its numbers (noise intensity, policy correlation) as
arrays, so a batch of settings can be vmapped through one compiled program.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
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


def _snake() -> tuple[np.ndarray, np.ndarray]:
    """The snake tour and, per cell, the action that steps to its next cell.

    A boustrophedon by columns: down column 0, up column 1, down column 2, up
    column 3, then right from (0, 3) wraps to (0, 0). With 4 (even) columns the
    tour closes with one move, so it is a Hamiltonian cycle of the torus and
    every cell has exactly one snake action. Returns cells [12, 2] in tour
    order and actions [3, 4].
    """
    cells = []
    for col in range(SIZE):
        rows = range(AGENT_ROWS) if col % 2 == 0 else reversed(range(AGENT_ROWS))
        cells.extend((row, col) for row in rows)
    cells = np.array(cells, dtype=np.int32)
    actions = np.zeros((AGENT_ROWS, SIZE), dtype=np.int32)
    for here, there in zip(cells, np.roll(cells, -1, axis=0)):
        step = [(there[0] - here[0] + 1) % AGENT_ROWS - 1, (there[1] - here[1] + 1) % SIZE - 1]
        actions[tuple(here)] = int(np.flatnonzero((MOVES == step).all(axis=1))[0])
    return cells, actions


SNAKE_CELLS, SNAKE_ACTIONS = _snake()


class Transitions(NamedTuple):
    """A batch of transitions (o, a, o').

    o, o_next:        [B, 4, 4] float32 frames.
    action:           [B] int32 index into ACTIONS.
    agent, agent_next: [B, 2] int32 (row, column) of the agent in o and o'.
    """

    o: jax.Array
    o_next: jax.Array
    action: jax.Array
    agent: jax.Array
    agent_next: jax.Array


def move(agent: jax.Array, action: jax.Array) -> jax.Array:
    """Apply actions [B] to agent cells [B, 2]; wraps within rows 0-2 and columns 0-3."""
    step = jnp.asarray(MOVES)[action]
    return jnp.stack([(agent[:, 0] + step[:, 0]) % AGENT_ROWS, (agent[:, 1] + step[:, 1]) % SIZE], axis=1)


def render(agent: jax.Array, noise_row: jax.Array) -> jax.Array:
    """Frames [B, 4, 4] from agent cells [B, 2] and the noise row's values [B, 4]."""
    cell = agent[:, 0] * SIZE + agent[:, 1]
    top = jax.nn.one_hot(cell, CELLS, dtype=jnp.float32).reshape(-1, AGENT_ROWS, SIZE)
    return jnp.concatenate([top, noise_row[:, None, :].astype(jnp.float32)], axis=1)


def snake_action(agent: jax.Array) -> jax.Array:
    """The action [B] that moves agents at cells [B, 2] to their next snake cell."""
    return jnp.asarray(SNAKE_ACTIONS)[agent[:, 0], agent[:, 1]]


def policy(key: jax.Array, agent: jax.Array, correlation: jax.Array) -> jax.Array:
    """Actions [B] for agents [B, 2]: the snake action with probability
    ``correlation`` (scalar; 0 gives the uniform policy), else uniform over all 5."""
    k_follow, k_uniform = jax.random.split(key)
    follow = jax.random.uniform(k_follow, agent.shape[:1]) < correlation
    uniform = jax.random.randint(k_uniform, agent.shape[:1], 0, N_ACTIONS)
    return jnp.where(follow, snake_action(agent), uniform)


def sample(key: jax.Array, batch: int, noise_intensity: jax.Array, correlation: jax.Array) -> Transitions:
    """``batch`` i.i.d. transitions. noise_intensity, correlation: scalars.

    The noise bits are drawn before scaling, so one key gives the same agents,
    actions and noise pattern at every intensity (common random numbers).
    """
    k_agent, k_policy, k_noise = jax.random.split(key, 3)
    cell = jax.random.randint(k_agent, (batch,), 0, CELLS)
    agent = jnp.stack([cell // SIZE, cell % SIZE], axis=1)
    action = policy(k_policy, agent, correlation)
    agent_next = move(agent, action)
    bits = jax.random.bernoulli(k_noise, 0.5, (2, batch, SIZE)).astype(jnp.float32)
    noise = noise_intensity * bits
    return Transitions(render(agent, noise[0]), render(agent_next, noise[1]), action, agent, agent_next)


def evaluation_set(key: jax.Array, n: int, noise_intensity: jax.Array) -> Transitions:
    """Held-out data: ``n`` uniform-policy transitions. With a fixed key every
    setting is scored on the same agents, actions and noise bits."""
    return sample(key, n, noise_intensity, jnp.float32(0.0))


def shift_columns(frames: jax.Array, shift: jax.Array) -> jax.Array:
    """Frames [B, 4, 4] with all 4 rows rolled ``shift`` [B] columns (int; +1 =
    one cell right), wrapping around: the augmentation of IGOR."""
    cols = (jnp.arange(SIZE)[None, :] - shift[:, None]) % SIZE
    return jnp.take_along_axis(frames, cols[:, None, :], axis=2)


def random_shifts(key: jax.Array, batch: int) -> jax.Array:
    """Shifts [B] int32, each -1 (left) or +1 (right) with probability 1/2."""
    return 2 * jax.random.bernoulli(key, 0.5, (batch,)).astype(jnp.int32) - 1
