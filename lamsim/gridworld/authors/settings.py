"""Validated settings of Table 1 as the authors ran it (paper Sec. 5; their released grid-world
code): the data setting of each row (:class:`AuthorsSetting`), the model and training
configuration shared by the rows (:class:`AuthorsConfig`), and its named profiles.

Both are checked once, where they are built, like :mod:`lamsim.gridworld.ours.settings`: a bad value
raises :class:`~lamsim.errors.InputError`; numbers are stored as plain ``int`` and ``float``.

Profiles. ``faithful`` is the authors' size (64 filters, MLP width 512, batch 1024, 400 epochs);
``cpu`` keeps the architecture and the schedule and narrows the network (:data:`CPU_WIDTH`,
:data:`CPU_MLP_WIDTH`). Both run the same code; :func:`profile` builds either, with overrides.
"""
from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp

from lamsim.errors import fail, integer, real
from lamsim.gridworld.authors import world

#: Where an augmentation takes a noise row from (:data:`AUGMENTATION_RECIPES`): the frame's own,
#: the other frame of the pair's ("copy"), or a Bernoulli(0.5) row drawn anew ("fresh").
ROW_SOURCES = ("own", "copy", "fresh")
#: Each augmentation of the authors' Table 1 row as (noise row of the IDM's o, noise row of the FDM's
#: target o', share of the samples augmented). "copy" is their code as written (the IDM's o takes
#: o''s row, the target o' takes o's); "fresh" (ours) gives the target a fresh row. The others are
#: the candidate protocols for the paper's row (docs/method.md Sec. 17.2), declared before they ran:
#: "copy_half" the copy on each sample with probability 1/2; "idm_copy" and "idm_fresh" change the
#: IDM's o only; "fresh_both" fresh rows for both, drawn independently.
AUGMENTATION_RECIPES = {
    "none": ("own", "own", 1.0),
    "copy": ("copy", "copy", 1.0),
    "fresh": ("copy", "fresh", 1.0),
    "copy_half": ("copy", "copy", 0.5),
    "idm_copy": ("copy", "own", 1.0),
    "idm_fresh": ("fresh", "own", 1.0),
    "fresh_both": ("fresh", "fresh", 1.0),
}
AUGMENTATIONS = tuple(AUGMENTATION_RECIPES)


def _number(obj, field: str, low: float, high: float = math.inf, open_low: bool = False):
    value = real(field, getattr(obj, field))
    if not (low < value if open_low else low <= value) or value > high:
        fail(field, value, f"must lie in {'(' if open_low else '['}{low}, {high}]")
    object.__setattr__(obj, field, value)


def _flag(obj, field: str):
    if not isinstance(getattr(obj, field), bool):
        fail(field, getattr(obj, field), "must be True or False")


@dataclasses.dataclass(frozen=True)
class AuthorsSetting:
    """One row of the authors' Table 1.

    noise_intensity: value of a lit noise cell (0 none, 1 low, 2 high: 0.25 x 0, 4, 8).
    correlation: probability per step that the policy takes the snake's action (0 = uniform).
    augmentation: one of :data:`AUGMENTATIONS`.
    label_rate: share of trajectories (the first int(label_rate * N)) whose actions are known.
    """

    noise_intensity: float = world.NOISE_INTENSITY["low"]
    correlation: float = 0.0
    augmentation: str = "none"
    label_rate: float = 0.0

    def __post_init__(self):
        _number(self, "noise_intensity", 0.0)
        _number(self, "correlation", 0.0, 1.0)
        _number(self, "label_rate", 0.0, 1.0)
        if self.augmentation not in AUGMENTATIONS:
            fail("augmentation", self.augmentation, f"must be one of {', '.join(AUGMENTATIONS)}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class AuthorsConfig:
    """Model, optimiser, data and metric settings shared by every row.

    width: filters of every hidden convolution (W); mlp_width: width of the two hidden layers of
    the MLP before the VQ (M). codes: codebook size (one per action at least, for the labels).
    batch, epochs, learning_rate: Adam's; an epoch draws one random frame pair from each training
    trajectory, so it has ceil(n_train / batch) updates, the last one on the remainder.
    codebook_weight, commitment, label_weight: weights of the codebook loss, the commitment loss
    and the action pull. learn_codebook: whether the optimiser updates the codebook; the authors'
    codebook is a plain tensor outside the optimiser, so it moves only by dead-code resets (False).
    dead_every, dead_share, dead_strikes: every ``dead_every`` epochs (from epoch 0, on the epoch's
    last batch) a code used by fewer than ``dead_share`` of that batch gets a strike; one with more
    than ``dead_strikes`` strikes is reset (runs without labels only).
    metric_epochs: the metrics average over this many last epochs.
    trajectories, frames, train_share: the data set and its split.
    controllable_normaliser: what the per-pixel MSE on rows 0-2 is divided by (the authors' 0.060).
    """

    width: int = 64
    mlp_width: int = 512
    codes: int = world.N_ACTIONS
    batch: int = 1024
    epochs: int = 400
    learning_rate: float = 1e-4
    codebook_weight: float = 0.1
    commitment: float = 0.025
    label_weight: float = 0.1
    learn_codebook: bool = False
    dead_every: int = 5
    dead_share: float = 0.001
    dead_strikes: int = 3
    metric_epochs: int = 10
    trajectories: int = world.TRAJECTORIES
    frames: int = world.FRAMES
    train_share: float = world.TRAIN_SHARE
    controllable_normaliser: float = 0.060

    def __post_init__(self):
        for name, low in (("width", 1), ("mlp_width", 1), ("batch", 1), ("epochs", 1), ("dead_every", 1),
                          ("dead_strikes", 0), ("metric_epochs", 1), ("trajectories", 2), ("frames", 2)):
            object.__setattr__(self, name, integer(name, getattr(self, name), low))
        object.__setattr__(self, "codes", integer("codes", self.codes, world.N_ACTIONS, 256,
                                                  f"must be an integer in [{world.N_ACTIONS}, 256] (one code per "
                                                  f"action at least)"))
        if self.metric_epochs > self.epochs:
            fail("metric_epochs", self.metric_epochs, f"must be <= epochs ({self.epochs})")
        _number(self, "learning_rate", 0.0, open_low=True)
        for name in ("codebook_weight", "commitment", "label_weight"):
            _number(self, name, 0.0)
        _number(self, "dead_share", 0.0, 1.0)
        _number(self, "train_share", 0.0, 1.0, open_low=True)
        n_train = world.train_size(self.trajectories, self.train_share)
        if not 1 <= n_train < self.trajectories:
            fail("train_share", self.train_share, f"must leave at least one training and one held-out trajectory "
                                                  f"of {self.trajectories} (int(train_share * trajectories) = "
                                                  f"{n_train})")
        _number(self, "controllable_normaliser", 0.0, open_low=True)
        _flag(self, "learn_codebook")

    @property
    def n_train(self) -> int:
        """Training trajectories (3,800 of 4,000)."""
        return world.train_size(self.trajectories, self.train_share)

    @property
    def updates_per_epoch(self) -> int:
        """ceil(n_train / batch): 4 at the authors' size (3 batches of 1,024, then the remaining 728)."""
        return -(-self.n_train // self.batch)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


#: The reduced widths of the ``cpu`` profile, chosen from the measured width sweep
#: (:mod:`experiments.table1_widths`; docs/method.md, Sec. 15).
CPU_WIDTH = 16
CPU_MLP_WIDTH = 128
PROFILES = {"faithful": AuthorsConfig(),
            "cpu": AuthorsConfig(width=CPU_WIDTH, mlp_width=CPU_MLP_WIDTH)}


def profile(name: str, **overrides) -> AuthorsConfig:
    """The configuration of profile ``name`` (see :data:`PROFILES`), with fields replaced by ``overrides``."""
    if name not in PROFILES:
        fail("profile", name, f"must be one of {', '.join(PROFILES)}")
    return dataclasses.replace(PROFILES[name], **overrides)


class AuthorsKnobs(NamedTuple):
    """Per-run numbers the trainer vmaps over, each [R] (a scalar inside the vmap):
    noise_intensity, correlation (float32), augmentation (int32 index into AUGMENTATIONS),
    labelled (int32: trajectories 0 .. labelled - 1 carry labels)."""

    noise_intensity: jax.Array
    correlation: jax.Array
    augmentation: jax.Array
    labelled: jax.Array

    def recipe(self) -> tuple[jax.Array, jax.Array, jax.Array]:
        """The run's augmentation as (IDM's o row source, target row source: int32 indices into
        :data:`ROW_SOURCES`; share: float32), looked up from :data:`AUGMENTATION_RECIPES`."""
        table = list(AUGMENTATION_RECIPES.values())
        idm = jnp.asarray([ROW_SOURCES.index(r[0]) for r in table], jnp.int32)[self.augmentation]
        target = jnp.asarray([ROW_SOURCES.index(r[1]) for r in table], jnp.int32)[self.augmentation]
        share = jnp.asarray([r[2] for r in table], jnp.float32)[self.augmentation]
        return idm, target, share


def knobs_of(settings: Sequence[AuthorsSetting], config: AuthorsConfig) -> AuthorsKnobs:
    """The knobs of ``settings`` in order; the labelled trajectories are int(label_rate * N)
    (in float64, so that 1% of 4,000 is 40)."""
    return AuthorsKnobs(
        jnp.asarray([s.noise_intensity for s in settings], jnp.float32),
        jnp.asarray([s.correlation for s in settings], jnp.float32),
        jnp.asarray([AUGMENTATIONS.index(s.augmentation) for s in settings], jnp.int32),
        jnp.asarray([int(s.label_rate * config.trajectories) for s in settings], jnp.int32),
    )
