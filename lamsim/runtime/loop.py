"""What every trainer shares, whatever its model: per-seed keys, the compile options of an
initialisation, the segments a training ``lax.scan`` is cut into, and the one outer loop that runs
them (each segment one call of a jitted scan, for progress reports and checkpoints)."""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp

from lamsim.runtime.progress import segment_length

#: XLA options for compiling an initialisation: it is all random draws, which XLA:CPU's optimising
#: backend is slow to compile and gains nothing from.
INIT_COMPILER_OPTIONS = {"xla_backend_optimization_level": 0}


def seed_keys(seed: jax.Array, count: int) -> tuple:
    """``count`` independent keys of a seed, ``fold_in(key(seed), i)`` for i = 1 .. count (parameters,
    data, ...: every setting of one seed shares them)."""
    root = jax.random.key(seed)
    return tuple(jax.random.fold_in(root, i) for i in range(1, count + 1))


def segments(total: int, checkpoints: Sequence[int] = ()) -> list:
    """[(start, end)] cutting ``total`` steps every :func:`segment_length` steps and at each
    checkpoint (each distinct length compiles once)."""
    length = segment_length(total)
    ends = sorted(set(range(length, total + 1, length)) | set(checkpoints) | {total})
    return list(zip([0] + ends[:-1], ends))


def run_segments(segment: Callable, state, total: int, checkpoints: Sequence[int] = (),
                 advance: Optional[Callable] = None, keep: Optional[Callable] = None):
    """The outer training loop every trainer shares: ``state = segment(state, start, length)`` over
    :func:`segments` of ``total`` steps (or epochs), each a call of a jitted ``lax.scan``; after each
    segment, once its result is ready, ``advance(start, end, state)`` (progress), and at each
    checkpoint ``keep(state)`` is collected. Returns (final state, [keep(state) at each checkpoint])."""
    kept = []
    for start, end in segments(total, checkpoints):
        state = segment(state, jnp.int32(start), end - start)
        jax.block_until_ready(state)
        if advance is not None:
            advance(start, end, state)
        if end in checkpoints:
            kept.append(keep(state))
    return state, kept
