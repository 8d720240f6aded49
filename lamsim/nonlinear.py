"""The non-linear latent action model of the paper's Table 1, in flax.

IDM: a small CNN on (o, o') stacked as two channels -> encoder output z_e [D].
VQ bottleneck: the nearest of ``codes`` (5) codebook vectors, straight-through
gradients to the encoder, codebook and commitment losses (VQ-VAE).
FDM: a small UNet on o (4x4 -> 2x2 -> 4x4 with a skip), conditioned on the
quantised latent by FiLM (per-channel scale and shift) at both resolutions,
predicting o'.

Padding. The world is a torus horizontally, and the FDM's convolutions wrap
around the columns: a move is drawn the same way in every column. The IDM's
convolutions zero pad the columns, like common CNNs (and the paper's), so the
IDM sees where things are: which column the agent is in, which cells of the
noise row are lit. That is what the paper's augmentation acts on: a column
shift of the FDM's frame, independent of the IDM's, makes a latent that names
absolute places (the noise pattern, the agent's next cell) mispredict, while
the action keeps its meaning. We tried all four combinations (5 seeds, the six
settings; README, Table 1): with a wrapping IDM the latent never depends on
column and the shift has nothing to remove (augmentation 0.561 vs 0.555
controllable, the one ordering that failed); with a zero-padded FDM the
latent at low noise holds the noise pattern and nothing of the action in
every seed, so more noise cannot take more (stochastic high 0.53 vs low 0.49,
against the paper's ordering); the zero-padded IDM with the wrapping FDM keeps
all nine orderings.

Dead codes. A code that no encoder output picks never receives a codebook
gradient and stays dead, so the bottleneck silently has fewer than 5 codes.
Each run keeps an exponential moving average of every code's share of the
batch (``usage``); after every update, a code whose share has fallen below
``Config.dead_usage`` (by default half its fair share 1/codes) is
re-initialised to the encoder output of a random sample of the current batch,
and its share is reset to 1/codes so it has time to attract samples before
being judged again. A code kept alive by a sliver of the data is restarted
too: this also breaks up lopsided partitions such as "how many noise cells are
lit" (shares 1:4:6:4:1 out of 16). Runs with labels never restart: every code
is the target of its action's labelled samples.

1% action prediction. Code k belongs to action k. For labelled samples the
loss adds ||z_e - sg(codebook[action])||^2 (averaged over the labelled samples
of the batch), pulling the encoder output into its action's code.

Training vmaps over runs: a run is one (setting, seed). Settings differ only by
numbers (:class:`Knobs`: noise intensity, policy correlation, augmentation
on/off as 0/1, label rate), so every setting and seed shares one compiled
``lax.scan``. Runs of one seed share their parameter initialisation and their
data keys (common random numbers).
"""
from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from lamsim import gridworld


def _fail(field: str, value, allowed: str):
    raise ValueError(f"{field}={value!r} is invalid: {allowed}")


def _check_number(field: str, value, low: float, high: float = math.inf):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(field, value, "must be a finite number")
    if not low <= value <= high:
        _fail(field, value, f"must lie in [{low}, {high}]")


def _check_int(field: str, value, low: int):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        _fail(field, value, f"must be an integer >= {low}")


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
        _check_number("noise_intensity", self.noise_intensity, 0.0)
        _check_number("correlation", self.correlation, 0.0, 1.0)
        _check_number("label_rate", self.label_rate, 0.0, 1.0)
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
    below which a code is re-initialised (see the module docstring).
    idm_wrap, fdm_wrap: whether the IDM's / FDM's convolutions wrap around
    the columns (else they zero pad them, like common CNNs). See the module
    docstring for why the IDM zero pads and the FDM wraps.
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
    dead_usage: float = 0.1
    eval_size: int = 4096
    idm_wrap: bool = False
    fdm_wrap: bool = True

    def __post_init__(self):
        for name, low in (("steps", 1), ("batch", 1), ("width", 1), ("latent_dim", 1), ("eval_size", 1),
                          ("codes", gridworld.N_ACTIONS)):
            _check_int(name, getattr(self, name), low)
        _check_number("learning_rate", self.learning_rate, 0.0)
        if self.learning_rate == 0:
            _fail("learning_rate", self.learning_rate, "must be > 0")
        for name in ("commitment", "label_weight"):
            _check_number(name, getattr(self, name), 0.0)
        _check_number("usage_decay", self.usage_decay, 0.0, 1.0)
        _check_number("dead_usage", self.dead_usage, 0.0, 1.0 / self.codes)

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


# ----------------------------------------------------------------------------- networks


def _tap_matrices(h: int, w: int, wrap: bool = True) -> np.ndarray:
    """T [9, h*w, h*w]: T[k, p, q] = 1 where input cell q is tap k (of the 3x3
    kernel, row-major) of output cell p. Columns wrap around when ``wrap``
    (the world is a torus horizontally), else they are zero padded; rows are
    always zero padded, which tells the network where the top and bottom edges
    are."""
    taps = np.zeros((9, h * w, h * w), np.float32)
    for k in range(9):
        di, dj = k // 3 - 1, k % 3 - 1
        for r in range(h):
            for c in range(w):
                if 0 <= r + di < h and (wrap or 0 <= c + dj < w):
                    taps[k, r * w + c, (r + di) * w + (c + dj) % w] = 1.0
    return taps


class Conv3x3(nn.Module):
    """3x3 convolution [B, H, W, C] -> [B, H, W, features].

    On grids this small the convolution is applied as one dense matmul by the
    [H*W*C, H*W*features] matrix that the 3x3 kernel defines (built from the
    kernel at every call, so weights stay shared). Vmapped over runs this is a
    batched matmul; on CPU it trained faster than patch extraction (3x3
    shifted copies, then a dense layer), which in XLA's cost analysis moves
    2-3 times more memory per step.
    """

    features: int
    wrap: bool = True  # columns wrap around (else zero padded)

    @nn.compact
    def __call__(self, x):
        b, h, w, c = x.shape
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (3, 3, c, self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        matrix = jnp.einsum("kpq,kcf->qcpf", _tap_matrices(h, w, self.wrap), kernel.reshape(9, c, self.features))
        out = x.reshape(b, h * w * c) @ matrix.reshape(h * w * c, h * w * self.features)
        return out.reshape(b, h, w, self.features) + bias


class IDM(nn.Module):
    """Inverse dynamics: (o, o') [B, 4, 4] each -> encoder output z_e [B, D].

    Two convolutions (a 5x5 receptive field: one-cell moves, and the rows'
    wrap-around, which puts the agent two rows away), then dense layers on the
    flattened grid, so z_e may also depend on where things are (which cells
    of the noise row are lit, which row and column the agent is in). The
    convolutions zero pad the columns unless ``wrap``.
    """

    width: int
    latent_dim: int
    wrap: bool = True

    @nn.compact
    def __call__(self, o, o_next):
        h = nn.relu(Conv3x3(self.width, self.wrap)(jnp.stack([o, o_next], axis=-1)))
        h = nn.relu(Conv3x3(self.width, self.wrap)(h))
        h = nn.relu(nn.Dense(self.width)(h.reshape(h.shape[0], -1)))
        return nn.Dense(self.latent_dim)(h)


class VectorQuantiser(nn.Module):
    """z_e [B, D] -> (z_q [B, D] straight-through, index [B], code [B, D]).

    z_q equals the nearest code in value and z_e in gradient.
    """

    codes: int
    latent_dim: int

    @nn.compact
    def __call__(self, z_e):
        codebook = self.param("codebook", nn.initializers.normal(1.0), (self.codes, self.latent_dim))
        distance = jnp.sum((z_e[:, None, :] - codebook[None]) ** 2, axis=-1)
        index = jnp.argmin(distance, axis=-1)
        code = codebook[index]
        return z_e + jax.lax.stop_gradient(code - z_e), index, code


def _film(h, z, features: int):
    """Condition features h [B, H, W, features] on z [B, D]: h * (1 + scale(z)) + shift(z)."""
    scale, shift = jnp.split(nn.Dense(2 * features)(z)[:, None, None], 2, axis=-1)
    return h * (1 + scale) + shift


class FDM(nn.Module):
    """Forward dynamics, a small UNet: o [B, 4, 4] and latent z [B, D] -> o'_hat [B, 4, 4].

    The latent modulates the features at 4x4 and at 2x2 (FiLM: a per-channel
    scale and shift), so it can select which neighbour's content a cell takes,
    as an action does, not only add a constant.
    """

    width: int
    wrap: bool = True

    @nn.compact
    def __call__(self, o, z):
        b = o.shape[0]
        skip = nn.relu(_film(Conv3x3(self.width, self.wrap)(o[..., None]), z, self.width))
        down = skip.reshape(b, 2, 2, 2, 2, self.width).mean(axis=(2, 4))
        mid = nn.relu(_film(Conv3x3(2 * self.width, self.wrap)(down), z, 2 * self.width))
        up = jnp.repeat(jnp.repeat(nn.Dense(self.width)(mid), 2, axis=1), 2, axis=2)
        # An additive skip (not concatenation) halves the costliest convolution.
        h = nn.relu(Conv3x3(self.width, self.wrap)(skip + up))
        return nn.Dense(1)(h)[..., 0]


class VQOutput(NamedTuple):
    """z_e, z_q, code: [B, D]; index: [B] int."""

    z_e: jax.Array
    z_q: jax.Array
    index: jax.Array
    code: jax.Array


class LAM(nn.Module):
    """IDM -> VQ -> FDM. The IDM and FDM inputs are separate arguments so that
    augmentation can shift them independently."""

    config: Config

    def setup(self):
        self.idm = IDM(self.config.width, self.config.latent_dim, self.config.idm_wrap)
        self.vq = VectorQuantiser(self.config.codes, self.config.latent_dim)
        self.fdm = FDM(self.config.width, self.config.fdm_wrap)

    def __call__(self, idm_o, idm_o_next, fdm_o):
        """(o, o') for the IDM and o for the FDM, [B, 4, 4] each ->
        (o'_hat [B, 4, 4], VQOutput)."""
        z_e = self.idm(idm_o, idm_o_next)
        z_q, index, code = self.vq(z_e)
        return self.fdm(fdm_o, z_q), VQOutput(z_e, z_q, index, code)

    def predict_with_code(self, o, code):
        """The FDM's o'_hat [B, 4, 4] for o [B, 4, 4] and given latents [B, D]."""
        return self.fdm(o, code)


def codebook_of(params) -> jax.Array:
    """The codebook [codes, D] inside a LAM's parameters."""
    return params["params"]["vq"]["codebook"]


def _with_codebook(params, codebook):
    inner = dict(params["params"])
    inner["vq"] = {**inner["vq"], "codebook": codebook}
    return {**params, "params": inner}


# ----------------------------------------------------------------------------- training


class TrainBatch(NamedTuple):
    """One step's data. idm_o, idm_o_next, fdm_o, target: [B, 4, 4];
    action: [B] int; labelled: [B] bool."""

    idm_o: jax.Array
    idm_o_next: jax.Array
    fdm_o: jax.Array
    target: jax.Array
    action: jax.Array
    labelled: jax.Array


class TrainState(NamedTuple):
    """params: flax variables; opt_state: Adam's; usage: [codes] EMA batch share."""

    params: dict
    opt_state: optax.OptState
    usage: jax.Array


def train_batch(key: jax.Array, knobs: Knobs, batch: int) -> TrainBatch:
    """A fresh batch under one run's knobs (scalars).

    Augmentation: one shift shared by the IDM's o and o', an independent one
    shared by the FDM's o and its target o'; ``augment`` = 0 makes both 0.
    """
    k_data, k_idm, k_fdm, k_label = jax.random.split(key, 4)
    t = gridworld.sample(k_data, batch, knobs.noise_intensity, knobs.correlation)
    on = knobs.augment.astype(jnp.int32)
    s_idm = on * gridworld.random_shifts(k_idm, batch)
    s_fdm = on * gridworld.random_shifts(k_fdm, batch)
    return TrainBatch(
        idm_o=gridworld.shift_columns(t.o, s_idm), idm_o_next=gridworld.shift_columns(t.o_next, s_idm),
        fdm_o=gridworld.shift_columns(t.o, s_fdm), target=gridworld.shift_columns(t.o_next, s_fdm),
        action=t.action, labelled=jax.random.uniform(k_label, (batch,)) < knobs.label_rate,
    )


def loss_terms(params, model: LAM, batch: TrainBatch) -> tuple[jax.Array, tuple[dict, VQOutput]]:
    """Total loss and its terms for one run.

    reconstruction: MSE of o'_hat over all 16 pixels; codebook: ||sg(z_e) - code||^2;
    commitment: ||z_e - sg(code)||^2; label: over the labelled samples only,
    ||z_e - sg(codebook[action])||^2, which pulls the encoder output of an
    action to the code that action owns (averaged over labelled samples, so
    a rare label weighs as much as a reconstruction; 0 when none).
    """
    prediction, vq = model.apply(params, batch.idm_o, batch.idm_o_next, batch.fdm_o)
    reconstruction = jnp.mean((prediction - batch.target) ** 2)
    codebook_loss = jnp.mean(jnp.sum((jax.lax.stop_gradient(vq.z_e) - vq.code) ** 2, axis=-1))
    commitment = jnp.mean(jnp.sum((vq.z_e - jax.lax.stop_gradient(vq.code)) ** 2, axis=-1))
    owned = jax.lax.stop_gradient(codebook_of(params))[batch.action]
    weight = batch.labelled.astype(jnp.float32)
    label = jnp.sum(weight * jnp.sum((vq.z_e - owned) ** 2, axis=-1)) / jnp.maximum(jnp.sum(weight), 1.0)
    cfg = model.config
    total = reconstruction + codebook_loss + cfg.commitment * commitment + cfg.label_weight * label
    terms = {"reconstruction": reconstruction, "codebook": codebook_loss, "commitment": commitment, "label": label}
    return total, (terms, vq)


def restart_dead_codes(key, params, usage, vq: VQOutput, config: Config, label_rate: jax.Array):
    """Update the usage EMA [codes] from this batch's assignments and
    re-initialise dead codes to random encoder outputs of the batch.

    Not with labels (label_rate > 0, a scalar): there every code is the
    target of its action's labelled samples, and moving it would throw that
    anchor away (in trials, restarts kept 1 seed in 3 from using its labels).
    """
    share = jnp.mean(jax.nn.one_hot(vq.index, config.codes), axis=0)
    usage = config.usage_decay * usage + (1 - config.usage_decay) * share
    dead = (usage < config.dead_usage) & (label_rate == 0)
    fresh = vq.z_e[jax.random.randint(key, (config.codes,), 0, vq.z_e.shape[0])]
    codebook = jnp.where(dead[:, None], fresh, codebook_of(params))
    return _with_codebook(params, codebook), jnp.where(dead, 1.0 / config.codes, usage)


def _run_keys(seed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(parameter key, data key) of a seed: shared by all settings of that seed."""
    root = jax.random.key(seed)
    return jax.random.fold_in(root, 1), jax.random.fold_in(root, 2)


def make_trainer(config: Config):
    """``(init, segment)``, pure and vmapped over runs.

    ``init(seeds [R]) -> TrainState [R, ...]``;
    ``segment(state, seeds [R], knobs [R], start, length) -> (state, terms)``
    runs ``length`` Adam updates from step ``start`` (``length`` static) and
    returns the loss terms of its last step, each [R].
    """
    model = LAM(config)
    opt = optax.adam(config.learning_rate)
    blank = jnp.zeros((1, gridworld.SIZE, gridworld.SIZE), jnp.float32)

    def init_one(seed):
        params = model.init(_run_keys(seed)[0], blank, blank, blank)
        return TrainState(params, opt.init(params), jnp.full((config.codes,), 1.0 / config.codes, jnp.float32))

    def step_one(state: TrainState, seed, knobs: Knobs, step):
        key = jax.random.fold_in(_run_keys(seed)[1], step)
        k_batch, k_restart = jax.random.split(key)
        batch = train_batch(k_batch, knobs, config.batch)
        grads, (terms, vq) = jax.grad(loss_terms, has_aux=True)(state.params, model, batch)
        updates, opt_state = opt.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        params, usage = restart_dead_codes(k_restart, params, state.usage, vq, config, knobs.label_rate)
        return TrainState(params, opt_state, usage), terms

    def segment(state, seeds, knobs, start, length):
        def body(state, step):
            return jax.vmap(step_one, in_axes=(0, 0, 0, None))(state, seeds, knobs, step)

        state, terms = jax.lax.scan(body, state, start + jnp.arange(length))
        return state, jax.tree.map(lambda x: x[-1], terms)

    return jax.vmap(init_one), segment


# ----------------------------------------------------------------------------- evaluation


def _normalised_mse(prediction, target):
    """Sum over pixels of the MSE over samples, divided by the sum over pixels
    of the target's variance; NaN where that variance is 0. Inputs [N, ...]."""
    mse = jnp.sum(jnp.mean((prediction - target) ** 2, axis=0))
    variance = jnp.sum(jnp.var(target, axis=0))
    return jnp.where(variance > 0, mse / jnp.where(variance > 0, variance, 1.0), jnp.nan)


def evaluate(params, config: Config, eval_key: jax.Array, noise_intensity: jax.Array) -> dict:
    """Metrics of one trained run on held-out uniform-policy data (scalars).

    controllable_loss: normalised MSE of o'_hat on rows 0-2 (lower = the latent
    carries more of the action); stochastic_loss: the same on row 3 (1.0 = it
    carries none of the noise; NaN without noise); action_purity: share of
    transitions whose code's most frequent action is their own action;
    codes_used: codes picked by at least one transition; code_action_counts:
    [codes, actions] transitions per (assigned code, true action).
    """
    model = LAM(config)
    data = gridworld.evaluation_set(eval_key, config.eval_size, noise_intensity)
    prediction, vq = model.apply(params, data.o, data.o_next, data.o)
    rows = gridworld.AGENT_ROWS
    counts = jax.nn.one_hot(vq.index, config.codes).T @ jax.nn.one_hot(data.action, gridworld.N_ACTIONS)
    return {
        "controllable_loss": _normalised_mse(prediction[:, :rows], data.o_next[:, :rows]),
        "stochastic_loss": _normalised_mse(prediction[:, rows:], data.o_next[:, rows:]),
        "action_purity": jnp.sum(jnp.max(counts, axis=1)) / config.eval_size,
        "codes_used": jnp.sum(jnp.sum(counts, axis=1) > 0).astype(jnp.float32),
        "code_action_counts": counts,
    }


def code_effects(params, config: Config, o: jax.Array) -> jax.Array:
    """What each code does to a frame: o'_hat - o, [codes, 4, 4], for o [4, 4]."""
    model = LAM(config)
    codebook = codebook_of(params)
    frames = jnp.broadcast_to(o, (config.codes,) + o.shape)
    return model.apply(params, frames, codebook, method=LAM.predict_with_code) - frames
