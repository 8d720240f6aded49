"""The grid world of Table 1 as the authors ran it (paper Sec. 5; their released grid-world code),
sampled in pure JAX with explicit keys.

A frame is the 4x4 image of :mod:`lamsim.gridworld.grid` (rows 0-2 hold the agent, one lit
cell of 1.0; row 3 holds noise), with the same five actions (stay, up, down, left, right), but:

- walls: a move off the 3x4 area leaves the agent where it is;
- data are a fixed set of trajectories (4,000 of 200 frames by default), every one starting at
  row 1, column 2; a training sample is a pair of consecutive frames (t, t + 1);
- the trajectories are split at random into training (95%) and held-out (5%) trajectories;
- the noise row of every frame is Bernoulli(0.5) per cell times 0.25 times a multiplier 0, 4 or
  8 (no, low, high noise): a lit noise cell is worth 0, 1 or 2 (``noise_intensity``);
- the correlated policy: with probability ``correlation`` (0.95) per step the snake action of
  the agent's cell (:data:`SNAKE`), else an action drawn uniformly from all five. At row 0,
  column 3 the snake jumps to (0, 0) and the step is recorded as "stay".

A trajectory set stores per frame the agent's cell index (row * 4 + column) and the four noise
bits packed into one byte, so that a set of 4,000 x 200 frames takes 1.6 MB and every run of a
vmapped sweep can hold its own.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

# The frame, the actions and the snake's 0.95 are shared with our world; the experiments read them here.
from lamsim.gridworld.grid import ACTIONS, AGENT_ROWS, CELLS, MOVES, N_ACTIONS, SIZE  # noqa: F401
from lamsim.gridworld.grid import SNAKE_CORRELATION  # noqa: F401

#: (row, column) where every trajectory starts: the middle of the 3x4 area (rows // 2, columns // 2).
START = (AGENT_ROWS // 2, SIZE // 2)
FRAMES = 200
TRAJECTORIES = 4000
#: Share of trajectories used for training; the rest are held out.
TRAIN_SHARE = 0.95
#: A lit noise cell as stored, before the per-setting multiplier.
NOISE_UNIT = 0.25
NOISE_MULTIPLIER = {"none": 0.0, "low": 4.0, "high": 8.0}
#: The value of a lit noise cell per noise level: 0, 1 and 2, as in :data:`lamsim.gridworld.grid.NOISE_INTENSITY`.
NOISE_INTENSITY = {level: NOISE_UNIT * m for level, m in NOISE_MULTIPLIER.items()}

#: The snake's step per cell [row][column]; "jump" goes to (0, 0) and is recorded as "stay".
SNAKE = (("down", "right", "down", "jump"),
         ("down", "up", "down", "up"),
         ("right", "up", "right", "up"))


def wall_move_cells(cells: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """Next cell indices for cell indices and actions (numpy, any matching shapes), with walls."""
    row = np.clip(cells // SIZE + MOVES[actions, 0], 0, AGENT_ROWS - 1)
    col = np.clip(cells % SIZE + MOVES[actions, 1], 0, SIZE - 1)
    return row * SIZE + col


def _snake_tables() -> tuple[np.ndarray, np.ndarray]:
    """(next cell [12], recorded action [12]) of the snake step from each cell index."""
    next_cell = np.zeros(CELLS, np.int32)
    recorded = np.zeros(CELLS, np.int32)
    for row in range(AGENT_ROWS):
        for col in range(SIZE):
            cell, step = row * SIZE + col, SNAKE[row][col]
            action = ACTIONS.index("stay" if step == "jump" else step)
            recorded[cell] = action
            next_cell[cell] = 0 if step == "jump" else wall_move_cells(np.asarray(cell), np.asarray(action))
    return next_cell, recorded


SNAKE_NEXT, SNAKE_ACTION = _snake_tables()


class Trajectories(NamedTuple):
    """A set of N trajectories of F frames.

    cell:   [N, F] int8, the agent's cell index row * 4 + column in each frame.
    action: [N, F - 1] int8, index into ACTIONS of the action taken at frame t (to reach t + 1).
    noise:  [N, F] uint8, the noise row's four bits (bit j = column j lit).
    """

    cell: jax.Array
    action: jax.Array
    noise: jax.Array


def move(cell: jax.Array, action: jax.Array) -> jax.Array:
    """Next cell indices (int32, shape of ``cell``) after ``action``; a move off the area stays put."""
    moves = jnp.asarray(MOVES)[action]
    row = jnp.clip(cell // SIZE + moves[..., 0], 0, AGENT_ROWS - 1)
    col = jnp.clip(cell % SIZE + moves[..., 1], 0, SIZE - 1)
    return row * SIZE + col


def policy_step(cell: jax.Array, uniform_action: jax.Array, follow: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One step of the policy: (recorded action, next cell), both int32 shaped like ``cell``.

    uniform_action: the action drawn uniformly, taken where ``follow`` (bool) is False;
    where it is True the snake's step of the cell (:data:`SNAKE`) is taken instead.
    """
    snake_next = jnp.asarray(SNAKE_NEXT)[cell]
    snake_action = jnp.asarray(SNAKE_ACTION)[cell]
    return (jnp.where(follow, snake_action, uniform_action),
            jnp.where(follow, snake_next, move(cell, uniform_action)))


def generate(key: jax.Array, trajectories: int, frames: int, correlation: jax.Array) -> Trajectories:
    """``trajectories`` trajectories of ``frames`` frames from START under the policy of
    ``correlation`` (scalar; 0 = uniform), from one key.

    The uniform actions, the snake draws and the noise bits come from three keys split off
    ``key`` whatever the correlation, so one key gives the same noise and the same uniform
    draws to every setting (common random numbers); with correlation 0 the set is the uniform one.
    """
    k_action, k_follow, k_noise = jax.random.split(key, 3)
    uniform_action = jax.random.randint(k_action, (frames - 1, trajectories), 0, N_ACTIONS)
    follow = jax.random.uniform(k_follow, (frames - 1, trajectories)) < correlation
    bits = jax.random.bernoulli(k_noise, 0.5, (trajectories, frames, SIZE))
    noise = jnp.sum(bits.astype(jnp.uint8) << jnp.arange(SIZE, dtype=jnp.uint8), axis=-1, dtype=jnp.uint8)

    def step(cell, draws):
        action, next_cell = policy_step(cell, *draws)
        return next_cell, (next_cell, action)

    start = jnp.full((trajectories,), START[0] * SIZE + START[1], jnp.int32)
    _, (cells, actions) = jax.lax.scan(step, start, (uniform_action, follow))
    cells = jnp.concatenate([start[None], cells], axis=0)
    return Trajectories(cells.T.astype(jnp.int8), actions.T.astype(jnp.int8), noise)


def split(key: jax.Array, trajectories: int, train_share: float = TRAIN_SHARE) -> tuple[jax.Array, jax.Array]:
    """A random split by trajectory: (training indices [n_train], held-out indices [N - n_train]),
    n_train = int(train_share * N) (3,800 of 4,000)."""
    n_train = train_size(trajectories, train_share)
    order = jax.random.permutation(key, trajectories)
    return order[:n_train], order[n_train:]


def train_size(trajectories: int, train_share: float = TRAIN_SHARE) -> int:
    """Training trajectories of a split: int(train_share * trajectories)."""
    return int(train_share * trajectories)


def take(data: Trajectories, index: jax.Array) -> Trajectories:
    """The trajectories ``index`` [K] of ``data``, [K, ...]."""
    return Trajectories(*(x[index] for x in data))


def noise_values(bits: jax.Array, noise_intensity: jax.Array) -> jax.Array:
    """Noise rows [..., 4] (float32) from packed bits [...] (uint8): lit cells worth ``noise_intensity``."""
    lit = (bits[..., None] >> jnp.arange(SIZE, dtype=jnp.uint8)) & 1
    return noise_intensity * lit.astype(jnp.float32)


def render(cell: jax.Array, noise_row: jax.Array) -> jax.Array:
    """Frames [B, 4, 4] from cell indices [B] and noise rows [B, 4]."""
    top = jax.nn.one_hot(cell, CELLS, dtype=jnp.float32).reshape(-1, AGENT_ROWS, SIZE)
    return jnp.concatenate([top, noise_row[:, None, :].astype(jnp.float32)], axis=1)


#: Distinct frames of the world: 12 agent cells x 16 noise-row patterns.
DISTINCT_FRAMES = CELLS * 2 ** SIZE


def frame_id(cell: jax.Array, bits: jax.Array) -> jax.Array:
    """Index (int32, shape of ``cell``) of the frame with the agent in ``cell`` and noise ``bits``
    among the :data:`DISTINCT_FRAMES` rows of :func:`frame_table`: cell * 16 + bits."""
    return cell.astype(jnp.int32) * 2 ** SIZE + bits.astype(jnp.int32)


def frame_table(noise_intensity: jax.Array) -> jax.Array:
    """Every distinct frame [192, 4, 4] at a noise intensity (scalar), row :func:`frame_id`."""
    index = jnp.arange(DISTINCT_FRAMES)
    return render(index // 2 ** SIZE, noise_values((index % 2 ** SIZE).astype(jnp.uint8), noise_intensity))


class Pairs(NamedTuple):
    """Frame pairs: o, o_next [B, 4, 4] float32; action [B] int32."""

    o: jax.Array
    o_next: jax.Array
    action: jax.Array


class PairIds(NamedTuple):
    """The :func:`frame_id` of each frame of pairs: o, o_next [B] int32."""

    o: jax.Array
    o_next: jax.Array


def pair_ids(data: Trajectories, trajectory: jax.Array, frame: jax.Array) -> PairIds:
    """The :func:`frame_id` of the frames of :func:`pairs` (same arguments, without the intensity)."""
    def at(t):
        return frame_id(data.cell[trajectory, t], data.noise[trajectory, t])

    return PairIds(at(frame), at(frame + 1))


def pairs(data: Trajectories, trajectory: jax.Array, frame: jax.Array, noise_intensity: jax.Array) -> Pairs:
    """The frame pairs (t, t + 1) with t = ``frame`` [B] (in [0, F - 2]) of trajectories ``trajectory`` [B]."""
    cell = data.cell.astype(jnp.int32)
    o = render(cell[trajectory, frame], noise_values(data.noise[trajectory, frame], noise_intensity))
    o_next = render(cell[trajectory, frame + 1], noise_values(data.noise[trajectory, frame + 1], noise_intensity))
    return Pairs(o, o_next, data.action[trajectory, frame].astype(jnp.int32))


def transition_matrix(correlation: float = 0.0) -> np.ndarray:
    """P [12, 12] (float64): P[s, s'] = Pr(next cell s' | cell s) under the policy of ``correlation``."""
    cells = np.arange(CELLS)
    matrix = np.zeros((CELLS, CELLS))
    for action in range(N_ACTIONS):
        np.add.at(matrix, (cells, wall_move_cells(cells, np.full(CELLS, action))), (1 - correlation) / N_ACTIONS)
    np.add.at(matrix, (cells, SNAKE_NEXT), correlation)
    return matrix


def pair_occupancy(frames: int = FRAMES, start: tuple = START, correlation: float = 0.0) -> np.ndarray:
    """[12] float64: the distribution of the agent's cell in frame t of a pair, t uniform over
    [0, frames - 2] (a pair's first frame), for trajectories from ``start``."""
    matrix = transition_matrix(correlation)
    p = np.zeros(CELLS)
    p[start[0] * SIZE + start[1]] = 1.0
    total = np.zeros(CELLS)
    for _ in range(frames - 1):
        total += p
        p = p @ matrix
    return total / (frames - 1)


def action_blind_error(frames: int = FRAMES, start: tuple = START, correlation: float = 0.0) -> float:
    """The per-pixel MSE on rows 0-2 of the best prediction of o' that does not know the action,
    E[o' | o], over the pairs of the data set (exact, float64).

    From cell s the next frame lights cell s' with probability P[s, s'], so pixel s' of
    E[o' | o] is P[s, s'] and its expected squared error P[s, s'] (1 - P[s, s']); over the 12
    pixels, 1 - sum_s' P[s, s']^2. That is averaged over :func:`pair_occupancy` and divided by
    the 12 pixels. This is the number the
    authors' controllable loss is divided by (they use 0.060). Uniform policy with walls from
    (1, 2), 200 frames: 0.056781; the stationary (uniform) occupancy gives 17/300 = 0.056667;
    without walls (the torus of :mod:`lamsim.gridworld.ours.world`) 0.8 / 12 = 0.066667.
    """
    matrix = transition_matrix(correlation)
    per_cell = 1.0 - np.sum(matrix ** 2, axis=1)
    return float(pair_occupancy(frames, start, correlation) @ per_cell / CELLS)
