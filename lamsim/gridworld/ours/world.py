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

Randomness. A batch is drawn from one block of uniform 32-bit words (one
``jax.random.bits`` call, :data:`WORDS` words per transition), cut into fields:
an integer in [0, n) is ``floor(n * top24 / 2^24)`` of a word's top 24 bits
(uniform up to n / 2^24), a probability compares a word's top 24 bits as a
float in [0, 1), and single bits are read off a word's low 8 bits, which the
top 24 never touch. One draw replaces the many small key splits and draws of
``jax.random.randint``/``bernoulli``, which dominated the cost of sampling.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

# The frame, the actions, the noise levels and the snake's 0.95 are shared with the authors' world;
# the settings, training and experiments read them here.
from lamsim.gridworld.grid import ACTIONS, AGENT_ROWS, CELLS, MOVES, N_ACTIONS, SIZE  # noqa: F401
from lamsim.gridworld.grid import NOISE_INTENSITY, SNAKE_CORRELATION  # noqa: F401


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


#: Random 32-bit words per transition (see :func:`sample_from_words`).
WORDS = 3


def below(words: jax.Array, n: int) -> jax.Array:
    """Integers in [0, n) (int32, n <= 256) from uniform uint32 words:
    ``floor(n * top24 / 2^24)``, each value with probability 1/n to within n / 2^24."""
    if not 1 <= n <= 256:
        raise ValueError(f"n={n!r} is invalid: must lie in [1, 256]")
    return (((words >> 8) * jnp.uint32(n)) >> 24).astype(jnp.int32)


def uniform(words: jax.Array) -> jax.Array:
    """Floats in [0, 1) (float32, exact multiples of 2^-24) from the top 24 bits of uint32 words."""
    return (words >> 8).astype(jnp.float32) * jnp.float32(2.0 ** -24)


def low_bit(words: jax.Array, bit: int) -> jax.Array:
    """Bit ``bit`` (0-7, below the top 24) of uint32 words, as int32 0/1."""
    if not 0 <= bit < 8:
        raise ValueError(f"bit={bit!r} is invalid: must lie in [0, 7]")
    return ((words >> bit) & 1).astype(jnp.int32)


def policy(follow_words: jax.Array, uniform_words: jax.Array, agent: jax.Array, correlation: jax.Array) -> jax.Array:
    """Actions [B] for agents [B, 2]: the snake action with probability
    ``correlation`` (scalar; 0 gives the uniform policy), else uniform over all
    5. follow_words, uniform_words: uint32 [B] (top 24 bits read)."""
    follow = uniform(follow_words) < correlation
    return jnp.where(follow, snake_action(agent), below(uniform_words, N_ACTIONS))


def sample_from_words(words: jax.Array, noise_intensity: jax.Array, correlation: jax.Array) -> Transitions:
    """Transitions from uniform uint32 words [WORDS, B]; noise_intensity, correlation: scalars.

    Word 0: the agent's cell (top 24 bits) and the noise bits of o and o'
    (its low 8 bits, 4 per frame); word 1: whether the policy follows the snake
    (top 24 bits); word 2: the uniform action (top 24 bits). The low 8 bits of
    words 1 and 2 are unused. The noise bits are read before scaling, so the
    same words give the same agents, actions and noise pattern at every
    intensity (common random numbers).
    """
    batch = words.shape[1]
    cell = below(words[0], CELLS)
    agent = jnp.stack([cell // SIZE, cell % SIZE], axis=1)
    action = policy(words[1], words[2], agent, correlation)
    agent_next = move(agent, action)
    bits = jnp.stack([low_bit(words[0], b) for b in range(2 * SIZE)], axis=1).reshape(batch, 2, SIZE)
    noise = noise_intensity * bits.astype(jnp.float32)
    return Transitions(render(agent, noise[:, 0]), render(agent_next, noise[:, 1]), action, agent, agent_next)


def sample(key: jax.Array, batch: int, noise_intensity: jax.Array, correlation: jax.Array) -> Transitions:
    """``batch`` i.i.d. transitions from one draw of ``key`` (see :func:`sample_from_words`)."""
    return sample_from_words(jax.random.bits(key, (WORDS, batch), jnp.uint32), noise_intensity, correlation)


def conditional_mean(agent: jax.Array, noise_intensity: jax.Array, correlation: jax.Array) -> jax.Array:
    """E[o' | o] [B, 4, 4] for agents [B, 2], exactly from the dynamics.

    Rows 0-2: the policy's probability of each action, times the frame it
    moves the agent to (uniform policy: 1/5 on each of the five distinct next
    cells; correlated: ``correlation`` more on the snake's). Row 3: the noise
    is drawn afresh, so every cell has its mean ``noise_intensity / 2``.
    """
    snake = jax.nn.one_hot(snake_action(agent), N_ACTIONS)
    probs = correlation * snake + (1 - correlation) / N_ACTIONS
    top = sum(probs[:, a, None, None] * render(move(agent, jnp.full(agent.shape[:1], a)),
                                               jnp.zeros((agent.shape[0], SIZE)))[:, :AGENT_ROWS]
              for a in range(N_ACTIONS))
    noise = jnp.full((agent.shape[0], 1, SIZE), 0.5 * noise_intensity, jnp.float32)
    return jnp.concatenate([top, noise], axis=1)


def evaluation_set(key: jax.Array, n: int, noise_intensity: jax.Array) -> Transitions:
    """Held-out data: ``n`` uniform-policy transitions. With a fixed key every
    setting is scored on the same agents, actions and noise bits."""
    return sample(key, n, noise_intensity, jnp.float32(0.0))


def shift_columns(frames: jax.Array, shift: jax.Array) -> jax.Array:
    """Frames [B, 4, 4] with all 4 rows rolled ``shift`` [B] columns (int; +1 =
    one cell right), wrapping around: the augmentation of IGOR."""
    cols = (jnp.arange(SIZE)[None, :] - shift[:, None]) % SIZE
    return jnp.take_along_axis(frames, cols[:, None, :], axis=2)


def shifts_from_words(words: jax.Array, bit: int) -> jax.Array:
    """Shifts [B] int32 from bit ``bit`` (0-7) of uint32 words [B]: -1 (left) or +1 (right), 1/2 each."""
    return 2 * low_bit(words, bit) - 1


def random_shifts(key: jax.Array, batch: int) -> jax.Array:
    """Shifts [B] int32, each -1 (left) or +1 (right) with probability 1/2."""
    return shifts_from_words(jax.random.bits(key, (batch,), jnp.uint32), 0)
