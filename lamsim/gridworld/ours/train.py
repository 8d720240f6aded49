"""Training the non-linear LAM of the paper's Table 1 (Sec. 5): Adam, VQ, one ``lax.scan``.

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
is the target of its action's labelled samples. ``Config.restarts = False``
switches restarts off in every run (the usage EMA is still kept).

1% action prediction. Code k belongs to action k. For labelled samples the
loss adds ||z_e - sg(codebook[action])||^2 (averaged over the labelled samples
of the batch), pulling the encoder output into its action's code.

Training vmaps over runs: a run is one (setting, seed). Settings differ only by
numbers (:class:`Knobs`: noise intensity, policy correlation, augmentation
on/off as 0/1, label rate), so every setting and seed shares one compiled
``lax.scan``. Runs of one seed share their parameter initialisation and their
data keys (common random numbers).

Randomness per update: one ``jax.random.bits`` draw per run of
``TRAIN_WORDS * batch + codes`` words from the run's data key folded with the
step: words 0-2 of each sample give the transition
(:func:`~lamsim.gridworld.ours.world.sample_from_words`), word 3 its label draw
(top 24 bits) and its two augmentation shifts (bits 0 and 1), and the last
``codes`` words the batch samples a restarted code may take.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import optax

from lamsim.gridworld.ours import world as gridworld
from lamsim.gridworld.ours.networks import LAM, VQOutput, _with_codebook, codebook_of
from lamsim.gridworld.ours.settings import Config, GridSetting, Knobs, knobs_of
from lamsim.runtime import devices
from lamsim.runtime.loop import INIT_COMPILER_OPTIONS, run_segments, seed_keys
from lamsim.runtime.progress import Progress


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


#: Random uint32 words per training sample: the transition's, then one for its label and shifts.
TRAIN_WORDS = gridworld.WORDS + 1


def batch_from_words(words: jax.Array, knobs: Knobs) -> TrainBatch:
    """A batch under one run's knobs (scalars) from uniform uint32 words [TRAIN_WORDS, B].

    Augmentation: one shift shared by the IDM's o and o' (bit 0 of word 3), an
    independent one shared by the FDM's o and its target o' (bit 1);
    ``augment`` = 0 makes both 0. A sample is labelled when the top 24 bits of
    word 3, as a float in [0, 1), fall below ``label_rate``.
    """
    t = gridworld.sample_from_words(words[:gridworld.WORDS], knobs.noise_intensity, knobs.correlation)
    extra = words[gridworld.WORDS]
    on = knobs.augment.astype(jnp.int32)
    s_idm = on * gridworld.shifts_from_words(extra, 0)
    s_fdm = on * gridworld.shifts_from_words(extra, 1)
    return TrainBatch(
        idm_o=gridworld.shift_columns(t.o, s_idm), idm_o_next=gridworld.shift_columns(t.o_next, s_idm),
        fdm_o=gridworld.shift_columns(t.o, s_fdm), target=gridworld.shift_columns(t.o_next, s_fdm),
        action=t.action, labelled=gridworld.uniform(extra) < knobs.label_rate,
    )


def train_batch(key: jax.Array, knobs: Knobs, batch: int) -> TrainBatch:
    """A fresh batch of ``batch`` samples under one run's knobs, from one draw of ``key``."""
    return batch_from_words(jax.random.bits(key, (TRAIN_WORDS, batch), jnp.uint32), knobs)


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


def restart_dead_codes(pick, params, usage, vq: VQOutput, config: Config, label_rate: jax.Array):
    """Update the usage EMA [codes] from this batch's assignments and
    re-initialise dead codes to random encoder outputs of the batch: code k
    to sample ``pick[k]`` (int [codes], drawn uniformly from the batch).

    Not with labels (label_rate > 0, a scalar): there every code is the
    target of its action's labelled samples, and moving it would throw that
    anchor away (in trials, restarts kept 1 seed in 3 from using its labels).
    Never when ``config.restarts`` is False (the EMA is still updated).
    """
    share = jnp.mean(jax.nn.one_hot(vq.index, config.codes), axis=0)
    usage = config.usage_decay * usage + (1 - config.usage_decay) * share
    if not config.restarts:
        return params, usage
    dead = (usage < config.dead_usage) & (label_rate == 0)
    codebook = jnp.where(dead[:, None], vq.z_e[pick], codebook_of(params))
    return _with_codebook(params, codebook), jnp.where(dead, 1.0 / config.codes, usage)


def _run_keys(seed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(parameter key, data key) of a seed: shared by all settings of that seed."""
    return seed_keys(seed, 2)


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

    n_words = TRAIN_WORDS * config.batch

    def step_one(state: TrainState, data_key, knobs: Knobs, step):
        words = jax.random.bits(jax.random.fold_in(data_key, step), (n_words + config.codes,), jnp.uint32)
        batch = batch_from_words(words[:n_words].reshape(TRAIN_WORDS, config.batch), knobs)
        grads, (terms, vq) = jax.grad(loss_terms, has_aux=True)(state.params, model, batch)
        updates, opt_state = opt.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        pick = gridworld.below(words[n_words:], config.batch)
        params, usage = restart_dead_codes(pick, params, state.usage, vq, config, knobs.label_rate)
        return TrainState(params, opt_state, usage), terms

    def segment(state, seeds, knobs, start, length):
        data_keys = jax.vmap(lambda seed: _run_keys(seed)[1])(seeds)

        def body(state, step):
            return jax.vmap(step_one, in_axes=(0, 0, 0, None))(state, data_keys, knobs, step)

        state, terms = jax.lax.scan(body, state, start + jnp.arange(length))
        return state, jax.tree.map(lambda x: x[-1], terms)

    return jax.vmap(init_one), segment


def prepare_runs(config: Config, settings: Sequence[GridSetting], seeds: Sequence[int]):
    """The runs of :func:`train_runs`, laid out as it trains them, before any update.

    Returns (run_seeds [R], knobs [R], state [R, ...], segment): R = settings x
    seeds in setting-major order, sharded over the host's devices when R
    divides evenly, and ``segment`` jitted (see :func:`make_trainer`).
    """
    n_runs = len(settings) * len(seeds)
    run_seeds = jnp.tile(jnp.asarray(seeds, dtype=jnp.int32), len(settings))
    knobs = knobs_of([s for s in settings for _ in seeds])
    init, segment = make_trainer(config)
    segment = jax.jit(segment, static_argnums=4, donate_argnums=0)
    # Initialisation runs once and is all random draws (flax draws every
    # parameter with its own Threefry), which XLA:CPU's optimising backend takes
    # tens of seconds to compile; unoptimised it compiles in a few.
    state = jax.jit(init).lower(run_seeds).compile(compiler_options=INIT_COMPILER_OPTIONS)(run_seeds)
    # Split the runs over the host's devices (one per core) when they divide
    # evenly; the whole state too, so that every segment sees one input layout
    # (init leaves seed-independent leaves replicated) and compiles once.
    if n_runs % jax.device_count() == 0:
        run_seeds, knobs, state = (devices.shard_axis(x, 0) for x in (run_seeds, knobs, state))
    return run_seeds, knobs, state, segment


def train_runs(config: Config, settings: Sequence[GridSetting], seeds: Sequence[int], name: str = "table1",
               stream=None):
    """Train every (setting, seed) run in one vmapped program.

    Returns (state, knobs, terms): the final :class:`TrainState` [R, ...] and
    :class:`Knobs` [R] of the runs in setting-major order (R = settings x
    seeds), and the loss terms of the last step, each [R].
    """
    run_seeds, knobs, state, segment = prepare_runs(config, settings, seeds)
    n_runs = run_seeds.shape[0]
    progress = Progress(name, n_runs * config.steps, stream)
    # The loop carries (state, the last step's loss terms): each segment returns both.
    (state, terms), _ = run_segments(
        lambda carried, start, length: segment(carried[0], run_seeds, knobs, start, length), (state, None),
        config.steps, advance=lambda start, end, carried: progress.advance(
            (end - start) * n_runs, f"step {end:,}/{config.steps:,} "
                                    f"(reconstruction {float(jnp.mean(carried[1]['reconstruction'])):.4f})"))
    return state, knobs, terms
