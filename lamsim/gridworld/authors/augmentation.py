"""The augmentations of Table 1's augmentation row as the authors ran it (paper Sec. 5; their
released grid-world code, ``rebuttal/train_lam.py``), and the IDM's inputs as rows of a table of
distinct frames: :func:`augment` builds a batch's four images,
:func:`distinct_frames` the same IDM frames as indices for the "per-frame" formulation.

Each augmentation (:data:`~lamsim.gridworld.authors.settings.AUGMENTATION_RECIPES`) sets the noise
row of the IDM's o and of the FDM's target o' to the frame's own, the other frame's ("copy") or a
fresh Bernoulli(0.5) row, on a share of the samples. The FDM's input o is never changed.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from lamsim.gridworld.authors import world
from lamsim.gridworld.authors.settings import ROW_SOURCES, AuthorsKnobs

_COPY, _FRESH = ROW_SOURCES.index("copy"), ROW_SOURCES.index("fresh")
_ROWS = world.AGENT_ROWS


class DistinctFrames(NamedTuple):
    """The IDM's inputs as rows of a table: frames [192, 4, 4], every distinct frame at the run's
    noise intensity (:func:`~lamsim.gridworld.authors.world.frame_table`); idm_o, idm_o_next [B]
    int32, each sample's rows (``frames[idm_o]`` is the batch's idm_o)."""

    frames: jax.Array
    idm_o: jax.Array
    idm_o_next: jax.Array


class BatchDraws(NamedTuple):
    """A batch's augmentation draws, each [B]: the fresh noise bits of the target and of the IDM's
    o (uint8), and a uniform coin (float32; a sample is augmented iff coin < the recipe's share)."""

    fresh: jax.Array
    idm_fresh: jax.Array
    coin: jax.Array


def augment(pairs: world.Pairs, draws: BatchDraws, knobs: AuthorsKnobs) -> tuple[jax.Array, ...]:
    """(idm_o, idm_o_next, fdm_o, target) [B, 4, 4] of frame pairs under the run's augmentation
    (:meth:`~lamsim.gridworld.authors.settings.AuthorsKnobs.recipe`)."""
    o, o_next = pairs.o, pairs.o_next
    idm_source, target_source, share = knobs.recipe()
    on = (draws.coin < share)[:, None]

    def row(source, other, fresh_bits, own):
        fresh = world.noise_values(fresh_bits, knobs.noise_intensity)
        return jnp.where(on, jnp.where(source == _COPY, other, jnp.where(source == _FRESH, fresh, own)), own)

    idm_row = row(idm_source, o_next[:, _ROWS], draws.idm_fresh, o[:, _ROWS])
    target_row = row(target_source, o[:, _ROWS], draws.fresh, o_next[:, _ROWS])
    return o.at[:, _ROWS].set(idm_row), o_next, o, o_next.at[:, _ROWS].set(target_row)


def distinct_frames(ids: world.PairIds, draws: BatchDraws, knobs: AuthorsKnobs) -> DistinctFrames:
    """The IDM's inputs of pairs with frame ids ``ids`` under the run's augmentation, as
    :class:`DistinctFrames` (the rows of :func:`augment`'s idm_o and idm_o_next)."""
    noise_rows = 2 ** world.SIZE
    source, _, share = knobs.recipe()
    cell = ids.o - ids.o % noise_rows  # o's cell with an empty noise row
    row = jnp.where(source == _COPY, cell + ids.o_next % noise_rows,
                    jnp.where(source == _FRESH, cell + draws.idm_fresh.astype(jnp.int32), ids.o))
    return DistinctFrames(world.frame_table(knobs.noise_intensity),
                          jnp.where(draws.coin < share, row, ids.o), ids.o_next)
