"""Training the non-linear LAM of Table 1 as the authors ran it (paper Sec. 5; their released
grid-world code): Adam over epochs of frame pairs, BatchNorm, one ``lax.scan``.

Data. Each run draws its trajectory set (:func:`~lamsim.gridworld.authors.world.generate`,
under its policy) and splits it by trajectory; it also draws the uniform-policy set from the same
key (the same set when the run's policy is uniform) and keeps that set's held-out trajectories
for the metrics. An epoch visits every training trajectory once in a random order, each at a
random frame pair (t, t + 1), in batches of ``batch``; the last batch takes the remainder
(padding rows are masked out of the losses and of BatchNorm's statistics).

Loss: MSE over the 16 pixels + ``codebook_weight`` x codebook loss mean (code - sg(z_e))^2 +
``commitment`` x mean (sg(code) - z_e)^2 + ``label_weight`` x action pull mean (z_q - sg(code[a]))^2
over labelled samples (z_q straight-through), each a mean over samples and the 16 latent
components. Labelled samples (from the first int(label_rate x N) trajectories) feed the FDM the
code of their action instead of their quantised latent. The codebook is outside the optimiser
unless ``learn_codebook`` (see :class:`~lamsim.gridworld.authors.settings.AuthorsConfig`).

Augmentation (:mod:`lamsim.gridworld.authors.augmentation`): the noise rows of the IDM's o and of
the FDM's target o' under the row's recipe; the FDM's input o is never changed.

Dead codes (runs without labels): every ``dead_every`` epochs from epoch 0, after the epoch's
last update, a code chosen by fewer than ``dead_share`` of that last batch gets a strike; a code
with more than ``dead_strikes`` strikes is set to the pre-quantisation latent z_e of sample k of
that batch (code k; the batch is in random order) and its strikes start again from 0. Strikes are
not cleared when a code is used again.

Metrics window: in each of the last ``metric_epochs`` epochs, after every update, the model (in
training mode: BatchNorm normalises with the batch's own statistics) predicts a batch of
``batch`` un-augmented pairs drawn from the held-out uniform-policy trajectories, without labels;
the per-pixel MSE on rows 0-2 and on row 3 is summed, as is that of the training batch itself
(before the update) and the code-action counts of the held-out batch
(:mod:`lamsim.gridworld.authors.evaluate` turns the sums into Table 1's numbers).

Formulation (:data:`UPDATE_FORMULATION`): the encoder runs once per distinct frame, BatchNorm
weighted by each frame's count (``AuthorsLAM.per_frame``), the same function as running it on
every sample's frames ("per-sample") to float32 rounding; each batch carries both inputs.

Runs are vmapped: a run is one (setting, seed); settings differ only by
:class:`~lamsim.gridworld.authors.settings.AuthorsKnobs`, so every run shares one compiled scan.
Runs of one seed share their initial parameters, their trajectory keys and their epoch draws.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import optax

from lamsim.gridworld.authors import world
from lamsim.gridworld.authors.networks import AuthorsLAM
from lamsim.gridworld.authors.augmentation import BatchDraws, DistinctFrames, augment, distinct_frames
from lamsim.gridworld.authors.settings import AuthorsConfig, AuthorsKnobs, AuthorsSetting, knobs_of
from lamsim.gridworld.layers import VQOutput
from lamsim.runtime import devices
from lamsim.runtime.loop import INIT_COMPILER_OPTIONS, run_segments, seed_keys
from lamsim.runtime.progress import Progress

_ROWS = world.AGENT_ROWS
#: How the update computes the loss and its gradients, recorded with every result: one of
#: :data:`~lamsim.gridworld.authors.networks.FORMULATIONS` (the same function; "per-frame" runs the
#: encoder once per distinct frame, "per-sample" on every sample's frames).
UPDATE_FORMULATION = "per-frame"


class RunData(NamedTuple):
    """One run's data: training trajectories [n_train, F] under its policy, which of them carry
    labels [n_train] bool, and the held-out trajectories [N - n_train, F] of the uniform-policy set."""

    train: world.Trajectories
    labelled: jax.Array
    test: world.Trajectories


class Window(NamedTuple):
    """Sums over the metrics window (scalars, or [codes, actions] for ``counts``): per-pixel MSE
    on rows 0-2 and on row 3 of held-out batches and of training batches, code-action counts of
    the held-out batches, and the number of updates summed."""

    controllable: jax.Array
    stochastic: jax.Array
    controllable_train: jax.Array
    stochastic_train: jax.Array
    counts: jax.Array
    updates: jax.Array


class AuthorsState(NamedTuple):
    """params, batch_stats: flax collections; opt_state: Adam's; strikes, resets: [codes] int32
    (dead-code strikes now, resets so far); window: :class:`Window`."""

    params: dict
    batch_stats: dict
    opt_state: optax.OptState
    strikes: jax.Array
    resets: jax.Array
    window: Window


class Batch(NamedTuple):
    """One update's inputs. idm_o, idm_o_next, fdm_o, target: [B, 4, 4]; action: [B] int;
    labelled, mask: [B] bool (mask: real samples, not padding); distinct: the IDM's inputs as
    :class:`DistinctFrames`, which the "per-frame" formulation reads instead of idm_o, idm_o_next."""

    idm_o: jax.Array
    idm_o_next: jax.Array
    fdm_o: jax.Array
    target: jax.Array
    action: jax.Array
    labelled: jax.Array
    mask: jax.Array
    distinct: Optional[DistinctFrames] = None


def run_keys(seed: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(parameter key, trajectory key, epoch key) of a seed, shared by all settings of that seed."""
    return seed_keys(seed, 3)


def make_data(key: jax.Array, knobs: AuthorsKnobs, config: AuthorsConfig) -> RunData:
    """One run's :class:`RunData` from its trajectory key and knobs (scalars)."""
    k_world, k_split = jax.random.split(key)
    own = world.generate(k_world, config.trajectories, config.frames, knobs.correlation)
    uniform = world.generate(k_world, config.trajectories, config.frames, jnp.float32(0.0))
    train, test = world.split(k_split, config.trajectories, config.train_share)
    return RunData(world.take(own, train), train < knobs.labelled, world.take(uniform, test))


def predict(params, batch_stats, model: AuthorsLAM, idm_o, idm_o_next, fdm_o, distinct: Optional[DistinctFrames],
            labelled=None, action=None, mask=None):
    """The model in training mode under its formulation: ((o'_hat [B, 4, 4], VQOutput), updated
    collections). "per-frame" reads ``distinct`` instead of idm_o, idm_o_next."""
    variables = {"params": params, "batch_stats": batch_stats}
    if model.formulation == "per-frame":
        return model.apply(variables, distinct.frames, distinct.idm_o, distinct.idm_o_next, fdm_o, labelled, action,
                           train=True, mask=mask, mutable=["batch_stats"], method=AuthorsLAM.per_frame)
    return model.apply(variables, idm_o, idm_o_next, fdm_o, labelled, action, train=True, mask=mask,
                       mutable=["batch_stats"])


def _masked_mean(values: jax.Array, weight: jax.Array) -> jax.Array:
    """Mean of values [B, ...] over the samples with weight [B] (0/1) and all other axes; 0 if none."""
    per_sample = jnp.sum(values.reshape(values.shape[0], -1), axis=1)
    return jnp.sum(weight * per_sample) / (jnp.maximum(jnp.sum(weight), 1.0) * math.prod(values.shape[1:]))


def loss_terms(params, batch_stats, model: AuthorsLAM, batch: Batch):
    """Total loss and (terms, VQOutput, new batch_stats) for one run's batch (see the module docstring)."""
    (prediction, vq), updated = predict(params, batch_stats, model, batch.idm_o, batch.idm_o_next, batch.fdm_o,
                                        batch.distinct, batch.labelled, batch.action, batch.mask)
    weight = batch.mask.astype(jnp.float32)
    error = (prediction - batch.target) ** 2
    owned = jax.lax.stop_gradient(params["vq"]["codebook"])[batch.action]
    terms = {
        "reconstruction": _masked_mean(error, weight),
        "codebook": _masked_mean((vq.code - jax.lax.stop_gradient(vq.z_e)) ** 2, weight),
        "commitment": _masked_mean((jax.lax.stop_gradient(vq.code) - vq.z_e) ** 2, weight),
        "label": _masked_mean((vq.z_q - owned) ** 2, weight * batch.labelled),
        "controllable": _masked_mean(error[:, :_ROWS], weight), "stochastic": _masked_mean(error[:, _ROWS:], weight),
    }
    cfg = model.config
    total = (terms["reconstruction"] + cfg.codebook_weight * terms["codebook"] + cfg.commitment * terms["commitment"]
             + cfg.label_weight * terms["label"])
    return total, (terms, vq, updated["batch_stats"])


def optimiser(config: AuthorsConfig) -> optax.GradientTransformation:
    """Adam at ``learning_rate``; the codebook is left out (its updates are 0) unless ``learn_codebook``."""
    adam = optax.adam(config.learning_rate)
    if config.learn_codebook:
        return adam

    def labels(params):
        return {name: jax.tree.map(lambda _: "frozen" if name == "vq" else "adam", sub) for name, sub in params.items()}

    return optax.multi_transform({"adam": adam, "frozen": optax.set_to_zero()}, labels)


def heldout_errors(params, batch_stats, model: AuthorsLAM, data: RunData, key: jax.Array, knobs: AuthorsKnobs):
    """(MSE rows 0-2, MSE row 3, code-action counts [codes, actions]) of ``batch`` un-augmented
    held-out pairs drawn with ``key``, the model in training mode, without labels."""
    cfg = model.config
    k_traj, k_frame = jax.random.split(key)
    trajectory = jax.random.randint(k_traj, (cfg.batch,), 0, data.test.cell.shape[0])
    frame = jax.random.randint(k_frame, (cfg.batch,), 0, cfg.frames - 1)
    pairs = world.pairs(data.test, trajectory, frame, knobs.noise_intensity)
    ids = world.pair_ids(data.test, trajectory, frame)
    distinct = DistinctFrames(world.frame_table(knobs.noise_intensity), ids.o, ids.o_next)
    (prediction, vq), _ = predict(params, batch_stats, model, pairs.o, pairs.o_next, pairs.o, distinct)
    error = (prediction - pairs.o_next) ** 2
    counts = jax.nn.one_hot(vq.index, cfg.codes).T @ jax.nn.one_hot(pairs.action, world.N_ACTIONS)
    return jnp.mean(error[:, :_ROWS]), jnp.mean(error[:, _ROWS:]), counts


def dead_codes(state: AuthorsState, vq: VQOutput, mask: jax.Array, check: jax.Array, config: AuthorsConfig):
    """The dead-code rule after an epoch (see the module docstring) on its last batch's ``vq`` and
    ``mask`` [B]; ``check`` (bool scalar): whether this epoch checks and the run has no labels."""
    weight = mask.astype(jnp.float32)
    n = jnp.maximum(jnp.sum(weight), 1.0)
    share = weight @ jax.nn.one_hot(vq.index, config.codes) / n
    strikes = state.strikes + (check & (share < config.dead_share)).astype(jnp.int32)
    reset = strikes > config.dead_strikes
    # Real samples come first in a batch, so code k takes sample k (of the first n).
    pick = jnp.arange(config.codes) % n.astype(jnp.int32)
    codebook = state.params["vq"]["codebook"]
    codebook = jnp.where(reset[:, None], jax.lax.stop_gradient(vq.z_e)[pick], codebook)
    params = {**state.params, "vq": {**state.params["vq"], "codebook": codebook}}
    return state._replace(params=params, strikes=jnp.where(reset, 0, strikes),
                          resets=state.resets + reset.astype(jnp.int32))


class EpochDraws(NamedTuple):
    """One run's draws for one epoch, padded to updates_per_epoch x batch rows: trajectory order,
    frame t of each pair, mask of real rows, the augmentation's draws (:class:`BatchDraws`); and the
    key of its held-out batches."""

    trajectory: jax.Array
    frame: jax.Array
    mask: jax.Array
    augmentation: BatchDraws
    eval_key: jax.Array


def epoch_draws(key: jax.Array, epoch: jax.Array, config: AuthorsConfig) -> EpochDraws:
    k_order, k_frame, k_fresh, k_eval = jax.random.split(jax.random.fold_in(key, epoch), 4)
    rows = config.updates_per_epoch * config.batch
    order = jnp.pad(jax.random.permutation(k_order, config.n_train), (0, rows - config.n_train))
    frame = jax.random.randint(k_frame, (rows,), 0, config.frames - 1)
    fresh = jax.random.randint(k_fresh, (rows,), 0, 2 ** world.SIZE).astype(jnp.uint8)
    # The candidates' draws come from a key of their own, so that the other draws stay as they were.
    k_idm, k_coin = jax.random.split(jax.random.fold_in(k_fresh, 1))
    idm_fresh = jax.random.randint(k_idm, (rows,), 0, 2 ** world.SIZE).astype(jnp.uint8)
    coin = jax.random.uniform(k_coin, (rows,))
    return EpochDraws(order, frame, jnp.arange(rows) < config.n_train, BatchDraws(fresh, idm_fresh, coin), k_eval)


def make_batch(data: RunData, draws: EpochDraws, update: jax.Array, knobs: AuthorsKnobs,
               config: AuthorsConfig) -> Batch:
    """The batch of update ``update`` (0-based, within the epoch) of one run."""
    def rows(x):
        return jax.lax.dynamic_slice_in_dim(x, update * config.batch, config.batch)

    trajectory, frame, mask = rows(draws.trajectory), rows(draws.frame), rows(draws.mask)
    augmentation = BatchDraws(*(rows(x) for x in draws.augmentation))
    pairs = world.pairs(data.train, trajectory, frame, knobs.noise_intensity)
    idm_o, idm_o_next, fdm_o, target = augment(pairs, augmentation, knobs)
    return Batch(idm_o, idm_o_next, fdm_o, target, pairs.action, data.labelled[trajectory] & mask, mask,
                 distinct_frames(world.pair_ids(data.train, trajectory, frame), augmentation, knobs))


def make_update(config: AuthorsConfig, formulation: str = UPDATE_FORMULATION):
    """``update(state, data, draws, knobs, index, measure) -> (state, (vq, mask))``: one Adam update
    of one run on batch ``index`` of its epoch, then (if ``measure``) its metrics-window sums;
    ``formulation``: one of :data:`~lamsim.gridworld.authors.networks.FORMULATIONS`."""
    model = AuthorsLAM(config, formulation)
    opt = optimiser(config)

    def update(state: AuthorsState, data: RunData, draws: EpochDraws, knobs: AuthorsKnobs, index, measure):
        batch = make_batch(data, draws, index, knobs, config)
        grads, (terms, vq, batch_stats) = jax.grad(loss_terms, has_aux=True)(state.params, state.batch_stats,
                                                                               model, batch)
        updates, opt_state = opt.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)

        def add(window: Window) -> Window:
            controllable, stochastic, counts = heldout_errors(params, batch_stats, model, data,
                                                              jax.random.fold_in(draws.eval_key, index), knobs)
            return Window(window.controllable + controllable, window.stochastic + stochastic,
                          window.controllable_train + terms["controllable"],
                          window.stochastic_train + terms["stochastic"], window.counts + counts,
                          window.updates + 1.0)

        window = jax.lax.cond(measure, add, lambda w: w, state.window)
        return state._replace(params=params, batch_stats=batch_stats, opt_state=opt_state, window=window), \
            (vq, batch.mask)

    return update


def make_trainer(config: AuthorsConfig, formulation: str = UPDATE_FORMULATION):
    """``(init, segment)``, pure and vmapped over runs (updates under ``formulation``).

    ``init(seeds [R], knobs [R]) -> (AuthorsState [R, ...], RunData [R, ...])``;
    ``segment(state, data, seeds, knobs, start, length) -> state`` runs epochs ``start`` ..
    ``start + length - 1`` (``length`` static).
    """
    model = AuthorsLAM(config)
    opt = optimiser(config)
    update = make_update(config, formulation)
    blank = jnp.zeros((1, world.SIZE, world.SIZE), jnp.float32)
    first_measured = config.epochs - config.metric_epochs

    def init_one(seed, knobs):
        param_key, data_key, _ = run_keys(seed)
        variables = model.init(param_key, blank, blank, blank)
        params = variables["params"]
        zeros = jnp.zeros((config.codes,), jnp.int32)
        window = Window(*(jnp.float32(0),) * 4, jnp.zeros((config.codes, world.N_ACTIONS), jnp.float32),
                        jnp.float32(0))
        state = AuthorsState(params, variables["batch_stats"], opt.init(params), zeros, zeros, window)
        return state, make_data(data_key, knobs, config)

    def epoch_one(state, data, key, knobs, epoch):
        draws = epoch_draws(key, epoch, config)
        measure = epoch >= first_measured

        def body(state, index):
            return update(state, data, draws, knobs, index, measure)

        state, (vq, mask) = jax.lax.scan(body, state, jnp.arange(config.updates_per_epoch))
        last = jax.tree.map(lambda x: x[-1], vq)
        check = (epoch % config.dead_every == 0) & (knobs.labelled == 0)
        return dead_codes(state, last, mask[-1], check, config)

    def segment(state, data, seeds, knobs, start, length):
        epoch_keys = jax.vmap(lambda seed: run_keys(seed)[2])(seeds)

        def body(state, epoch):
            return jax.vmap(epoch_one, in_axes=(0, 0, 0, 0, None))(state, data, epoch_keys, knobs, epoch), None

        return jax.lax.scan(body, state, start + jnp.arange(length))[0]

    return jax.vmap(init_one), segment


@functools.lru_cache(maxsize=8)
def jitted_trainer(config: AuthorsConfig, formulation: str = UPDATE_FORMULATION):
    """:func:`make_trainer`'s (init, segment), jitted once per config and formulation, so that
    every :func:`train_runs` of one config (the units of a table) reuses their compiled programs."""
    init, segment = make_trainer(config, formulation)
    return (jax.jit(init, compiler_options=INIT_COMPILER_OPTIONS),
            jax.jit(segment, static_argnums=5, donate_argnums=0))


def prepare_runs(config: AuthorsConfig, settings: Sequence[AuthorsSetting], seeds: Sequence[int]):
    """The runs of :func:`train_runs` before any update: (run_seeds [R], knobs [R], state, data,
    segment), R = settings x seeds in setting-major order, sharded over the host's devices when R
    divides evenly; ``segment`` is jitted (see :func:`make_trainer`)."""
    run_seeds = jnp.tile(jnp.asarray(seeds, dtype=jnp.int32), len(settings))
    knobs = knobs_of([s for s in settings for _ in seeds], config)
    init, segment = jitted_trainer(config)
    state, data = init(run_seeds, knobs)
    if run_seeds.shape[0] % jax.device_count() == 0:
        run_seeds, knobs, state, data = (devices.shard_axis(x, 0) for x in (run_seeds, knobs, state, data))
    return run_seeds, knobs, state, data, segment


def train_runs(config: AuthorsConfig, settings: Sequence[AuthorsSetting], seeds: Sequence[int],
               name: str = "table1_authors", stream=None):
    """Train every (setting, seed) run in one vmapped program.

    Returns (state, knobs): the final :class:`AuthorsState` [R, ...] (its ``window`` holds the
    metrics' sums) and the :class:`~lamsim.gridworld.authors.settings.AuthorsKnobs` [R] of the
    runs in setting-major order (R = settings x seeds).
    """
    run_seeds, knobs, state, data, segment = prepare_runs(config, settings, seeds)
    n_runs = int(run_seeds.shape[0])
    updates = config.updates_per_epoch
    progress = Progress(name, n_runs * config.epochs * updates, stream)
    state, _ = run_segments(lambda state, start, length: segment(state, data, run_seeds, knobs, start, length),
                            state, config.epochs,
                            advance=lambda start, end, _: progress.advance((end - start) * updates * n_runs,
                                                                           f"epoch {end:,}/{config.epochs:,}"))
    return state, knobs
