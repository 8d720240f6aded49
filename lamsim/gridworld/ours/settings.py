"""Validated settings of the Table 1 runs (paper Sec. 5): the data setting of
each row and the model/optimiser configuration shared by all rows.

Both are checked once, where they are built, like the linear
:class:`~lamsim.linear.settings.Setting`: a bad value raises
:class:`~lamsim.errors.InputError`; numbers may be Python or numpy numbers or 0-d
arrays and are stored as plain ``int`` and ``float``."""
from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp

from lamsim.errors import STEP_LIMIT, fail as _fail, integer, real
from lamsim.gridworld.ours import world as gridworld


def _set_number(obj, field: str, low: float, high: float = math.inf, why: str = ""):
    """Check ``obj.field`` is a finite number in [low, high] and store it as a float."""
    value = real(field, getattr(obj, field))
    if not low <= value <= high:
        _fail(field, value, f"must lie in [{low}, {high}]{why}")
    object.__setattr__(obj, field, value)


@dataclasses.dataclass(frozen=True)
class GridSetting:
    """One data/objective setting of Table 1, validated where it is built.

    noise_intensity: value of a lit noise cell (0 none, 1 low, 2 high).
    correlation: probability that the policy follows the snake (0 = uniform).
    augment: IGOR-style column-shift augmentation on/off.
    label_rate: probability that a sample carries its action label.
    """

    noise_intensity: float = gridworld.NOISE_INTENSITY["low"]
    correlation: float = 0.0
    augment: bool = False
    label_rate: float = 0.0

    def __post_init__(self):
        _set_number(self, "noise_intensity", 0.0)
        _set_number(self, "correlation", 0.0, 1.0)
        _set_number(self, "label_rate", 0.0, 1.0)
        if not isinstance(self.augment, bool):
            _fail("augment", self.augment, "must be True or False")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Config:
    """Model and optimiser settings shared by every run of a table.

    width: channels of the CNN/UNet at 4x4 (2 * width at 2x2).
    latent_dim: size D of the encoder output and codebook vectors.
    codes: codebook size (at least one code per action, for the label loss).
    commitment: weight of the commitment loss ||z_e - sg(code)||^2.
    label_weight: weight of the label loss ||z_e - sg(code[action])||^2.
    usage_decay, dead_usage: EMA of each code's batch share and the share
    below which a code is re-initialised (see lamsim/gridworld/ours/train.py);
    ``dead_usage=None`` takes half the fair share, 0.5 / codes (0.1 for the five
    actions), and an explicit value must stay within [0, 1 / codes].
    restarts: whether dead codes are re-initialised at all (never with labels).
    idm_wrap, fdm_wrap: whether the IDM's / FDM's convolutions wrap around
    the columns (else they zero pad them, like common CNNs); docs/design.md
    says why the IDM zero pads and the FDM wraps.
    """

    steps: int = 16000
    batch: int = 32
    width: int = 8
    latent_dim: int = 8
    codes: int = gridworld.N_ACTIONS
    learning_rate: float = 1e-3
    commitment: float = 0.25
    label_weight: float = 1.0
    usage_decay: float = 0.99
    dead_usage: Optional[float] = None
    restarts: bool = True
    eval_size: int = 4096
    idm_wrap: bool = False
    fdm_wrap: bool = True

    def __post_init__(self):
        for name, low in (("batch", 1), ("width", 1), ("latent_dim", 1), ("eval_size", 1),
                          ("codes", gridworld.N_ACTIONS)):
            object.__setattr__(self, name, integer(name, getattr(self, name), low))
        object.__setattr__(self, "steps", integer("steps", self.steps, 1, STEP_LIMIT - 1,
                                                  "must be an integer in [1, 2**31) (steps count in int32)"))
        _set_number(self, "learning_rate", 0.0)
        if self.learning_rate == 0:
            _fail("learning_rate", self.learning_rate, "must be > 0")
        for name in ("commitment", "label_weight"):
            _set_number(self, name, 0.0)
        _set_number(self, "usage_decay", 0.0, 1.0)
        if self.dead_usage is None:
            object.__setattr__(self, "dead_usage", 0.5 / self.codes)
        _set_number(self, "dead_usage", 0.0, 1.0 / self.codes,
                    f" (1 / codes with codes={self.codes}; None takes 0.5 / codes)")
        if self.batch > 256:
            _fail("batch", self.batch, "must be <= 256 (a restarted code's sample index is drawn from 24 random bits)")
        for name in ("restarts", "idm_wrap", "fdm_wrap"):
            if not isinstance(getattr(self, name), bool):
                _fail(name, getattr(self, name), "must be True or False")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Knobs(NamedTuple):
    """Per-run numbers that the trainer vmaps over, each float32 [R] (or scalar
    inside the vmap): noise_intensity, correlation, augment (0/1), label_rate."""

    noise_intensity: jax.Array
    correlation: jax.Array
    augment: jax.Array
    label_rate: jax.Array


def knobs_of(settings: Sequence[GridSetting]) -> Knobs:
    return Knobs(*(jnp.asarray([float(getattr(s, f)) for s in settings], jnp.float32) for f in Knobs._fields))
