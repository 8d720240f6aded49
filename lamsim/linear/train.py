"""Training: Adam on fresh batches (or on the expected loss), one ``lax.scan``, vmapped over seeds and settings.

A *group* is a set of settings that share every array shape (d_o, d_b, batch,
steps, profile and the padded d_a, d_z) and so one compiled program. Inside a
group the settings differ only by numbers (:class:`~lamsim.linear.model.Knobs`:
d_a and d_z as masks, sigma, chi, kappa, label_rate), which are vmapped. Seeds
are the outer vmap axis: every setting of a seed sees the same data stream
(common random numbers), drawn once per step and shared. The ``exact``
profile draws no data: its step is the gradient of the closed-form expected
loss (:mod:`lamsim.linear.exact`), so a seed only fixes the initialisation and
the environment.
"""
from __future__ import annotations

import functools
from typing import Callable, NamedTuple, Optional, Sequence

import jax
import jax.numpy as jnp
import optax

from lamsim.errors import fail
from lamsim.linear import exact, model, world
from lamsim.linear.model import Knobs, Params
from lamsim.linear.fields import FIELDS, KNOB, PADDED, SHAPE, STATE_NOISE
from lamsim.linear.settings import Setting
from lamsim.runtime import devices
from lamsim.runtime.loop import run_segments, seed_keys


class GroupShape(NamedTuple):
    """Everything static about a group: one compiled program per distinct value.

    d_a, d_z are the padded (largest) sizes; iid/exo/augment/labels switch on
    the data streams and loss terms that some setting of the group needs;
    learn_a=False fixes A to I; uniform draws the i.i.d. noise as U[0, 1);
    idm is the IDM variant (``difference`` stores D as [0, 0]); state: the exogenous-state world
    (its own environment, P_e orthogonal to X, and streams; never mixed with other noise kinds);
    mask: the weighted reconstruction loss.
    """

    d_o: int
    d_a: int
    d_z: int
    d_b: int
    batch: int
    steps: int
    profile: str
    stream: str
    iid: bool
    exo: bool
    augment: bool
    labels: bool
    learn_a: bool = True
    uniform: bool = False
    idm: str = "full"
    state: bool = False
    mask: bool = False


class TrainState(NamedTuple):
    params: Params
    opt_state: optax.OptState


#: Peak learning rate of the ``exact`` profile's cosine schedule (decaying to 1% of it). Measured on
#: Fig 3 right's near-tied cuts (1,000 steps, 3 seeds; tolerance max(1% of the PCA floor, 2e-4)):
#: 1e-2 ends up to 21x the tolerance above the floor, 3e-2 up to 2.9x, 5e-2 0.67x, 1e-1 0.30x.
#: From 5e-2 up, Adam's steps on the noiseless gradient spike the loss mid-run (100x the tolerance
#: and more); runs recover while the rate decays unless a spike comes late (7e-2 over 1,500 steps
#: ended at 2.6x, 1.5e-1 over 1,000 at 52x), so 5e-2 is the largest rate kept.
EXACT_LEARNING_RATE = 5e-2


#: Profiles that train on the closed-form expected loss (:mod:`lamsim.linear.exact`), drawing no data.
EXPECTED_LOSS_PROFILES = ("exact", "faithful-exact")


def learning_rate(profile: str, steps: int) -> optax.Schedule:
    """``faithful`` and ``faithful-exact``: constant 1e-3 (the paper's Adam default); ``fast``:
    cosine 1e-2 -> 1e-4; ``exact``: cosine :data:`EXACT_LEARNING_RATE` -> 1% of it (no gradient
    noise to average out)."""
    if profile in ("faithful", "faithful-exact"):
        return optax.constant_schedule(1e-3)
    if profile == "exact":
        return optax.cosine_decay_schedule(init_value=EXACT_LEARNING_RATE, decay_steps=steps, alpha=1e-2)
    return optax.cosine_decay_schedule(init_value=1e-2, decay_steps=steps, alpha=1e-2)


def optimizer(profile: str, steps: int) -> optax.GradientTransformationExtraArgs:
    """Adam at the profile's :func:`learning_rate`; ``faithful-exact``: :func:`meanfield_adam`, whose
    update takes the batch gradient's variance (``variance=``)."""
    if profile == "faithful-exact":
        return meanfield_adam(learning_rate(profile, steps)(0))
    return optax.with_extra_args_support(optax.adam(learning_rate(profile, steps)))


class MeanFieldAdamState(NamedTuple):
    """Adam's state on the expected loss, fed the batch gradient's second moment."""

    count: jax.Array
    mu: Params
    nu: Params


#: Adam's constants (optax's and the authors' framework's defaults).
ADAM_B1, ADAM_B2, ADAM_EPS = 0.9, 0.999, 1e-8


def meanfield_adam(learning_rate_value: float) -> optax.GradientTransformationExtraArgs:
    """Adam on the expected loss where the first moment averages the expected gradient G and the
    second the expected squared batch gradient G^2 + Var: the mean path of Adam on sampled batches,
    whose step on a weak, noisy gradient is G / sqrt(Var) rather than sign(G) (docs/method.md
    Sec. 12). ``update(grads, state, params, variance=Var)``: ``variance`` has the parameters' tree
    (:func:`lamsim.linear.exact.batch_gradient_variance`)."""

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return MeanFieldAdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(grads, state, params=None, *, variance, **extra_args):
        del params, extra_args
        count = state.count + 1
        mu = jax.tree.map(lambda m, g: ADAM_B1 * m + (1 - ADAM_B1) * g, state.mu, grads)
        nu = jax.tree.map(lambda n, g, v: ADAM_B2 * n + (1 - ADAM_B2) * (jnp.square(g) + v), state.nu, grads,
                          variance)
        t = count.astype(jnp.float32)
        updates = jax.tree.map(lambda m, n: -learning_rate_value * (m / (1 - ADAM_B1 ** t))
                               / (jnp.sqrt(n / (1 - ADAM_B2 ** t)) + ADAM_EPS), mu, nu)
        return updates, MeanFieldAdamState(count, mu, nu)

    return optax.GradientTransformationExtraArgs(init, update)


def _keys(seed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(parameter key, data key) of a seed."""
    return seed_keys(seed, 2)


def make_trainer(shape: GroupShape):
    """Build ``(init, segment)`` for one group shape.

    ``init(seeds [S], knobs [K]) -> TrainState [S, K, ...]`` and
    ``segment(state, seeds [S], env [S, ...], knobs [K], start, length) -> state``
    run ``length`` Adam steps from step ``start``; both are pure, so they can be
    jitted once and called per segment (progress) or per chunk (memory).
    """
    opt = optimizer(shape.profile, shape.steps)
    meanfield = shape.profile == "faithful-exact"
    flags = dict(iid=shape.iid, exo=shape.exo, augment=shape.augment)
    if shape.state:
        flags.update(state=True, mask=shape.mask)

    def init_one(seed, knobs):
        params = model.init_params(_keys(seed)[0], knobs, shape.d_o, shape.d_a, shape.d_z, shape.learn_a, shape.idm)
        return TrainState(params, opt.init(params))

    def init(seeds, knobs):
        return jax.vmap(lambda s: jax.vmap(lambda k: init_one(s, k))(knobs))(seeds)

    def seed_sources(seed, env, step):
        key = jax.random.fold_in(_keys(seed)[1], step)
        raw = world.raw_batch(key, shape.batch, shape.d_o, shape.d_a, shape.d_b,
                             iid=shape.iid, exo=shape.exo, augment=shape.augment, labels=shape.labels,
                             generator=shape.stream, uniform=shape.uniform, state=shape.state)
        return model.sources(raw, env.policy_map, env.noise_map, shape.mask)

    def apply(state, grads, **extra_args):
        updates, opt_state = opt.update(grads, state.opt_state, state.params, **extra_args)
        return TrainState(optax.apply_updates(state.params, updates), opt_state)

    def update_one(state, src, knobs, action_effect):
        return apply(state, jax.grad(model.loss)(state.params, src, knobs, action_effect))

    def update_seed(state, src, knobs, action_effect):
        return jax.vmap(update_one, in_axes=(0, None, 0, None))(state, src, knobs, action_effect)

    def exact_one(state, knobs, env):
        grads = jax.grad(exact.expected_loss)(state.params, knobs, env, shape.batch, labels=shape.labels,
                                              uniform=shape.uniform, **flags)
        if not meanfield:
            return apply(state, grads)
        return apply(state, grads, variance=exact.batch_gradient_variance(state.params, knobs, env, shape.batch, grads,
                                                                          uniform=shape.uniform, **flags))

    def exact_seed(state, knobs, env):
        return jax.vmap(exact_one, in_axes=(0, 0, None))(state, knobs, env)

    def segment(state, seeds, env, knobs, start, length):
        def body(state, step):
            src = jax.vmap(seed_sources, in_axes=(0, 0, None))(seeds, env, step)
            state = jax.vmap(update_seed, in_axes=(0, 0, None, 0))(state, src, knobs, env.action_effect)
            return state, None

        def exact_body(state, _):
            # The schedule reads Adam's own step count, so no step index (and no key) is needed.
            return jax.vmap(exact_seed, in_axes=(0, None, 0))(state, knobs, env), None

        if shape.profile in EXPECTED_LOSS_PROFILES:
            state, _ = jax.lax.scan(exact_body, state, None, length=length)
        else:
            state, _ = jax.lax.scan(body, state, start + jnp.arange(length))
        return state

    return init, segment


def _shape_value(s: Setting, name: str):
    """A ``shape`` field's value as the program sees it (``steps``: the profile's default where None)."""
    return s.train_steps if name == "steps" else getattr(s, name)


def group_key(s: Setting) -> tuple:
    """Settings with equal keys share one compiled program: every ``shape`` field of the table
    (:data:`~lamsim.linear.fields.FIELDS`). Exogenous state also keys on d_a: it has its own
    environment (P_e depends on d_a), so d_a is not padded across it."""
    return tuple((f.name, _shape_value(s, f.name)) for f in FIELDS if f.role == SHAPE) + (
        ("state_d_a", s.d_a if s.noise == STATE_NOISE else None),)


def group_shape(settings: Sequence[Setting]) -> GroupShape:
    """The static description of one group: its ``shape`` fields, its ``padded`` ones at their
    largest, and the program's switches (the data streams and loss terms some setting needs)."""
    s0 = settings[0]
    fields = {f.name: _shape_value(s0, f.name) for f in FIELDS if f.role == SHAPE and f.name in GroupShape._fields}
    padded = {f.name: max(getattr(s, f.name) for s in settings) for f in FIELDS if f.role == PADDED}
    return GroupShape(
        **fields, **padded,
        iid=any(s.sigma_iid > 0 for s in settings), exo=any(s.sigma_exo > 0 for s in settings),
        augment=any(s.kappa > 0 for s in settings), labels=any(s.label_rate > 0 for s in settings),
        uniform=s0.noise_dist == "uniform" and any(s.sigma_iid > 0 for s in settings),
        state=s0.noise == STATE_NOISE, mask=any(s.mask_active for s in settings),
    )


def bytes_per_run(shape: GroupShape) -> int:
    """A generous estimate of one (setting, seed) run's training memory:
    parameters, Adam moments, gradients and temporaries, plus batch activations
    (or, for ``exact``, the d_o x d_o loading of o and its cotangent instead)."""
    n_params = shape.d_o ** 2 + 3 * shape.d_o * shape.d_z + shape.d_a * shape.d_z
    if shape.profile in EXPECTED_LOSS_PROFILES:
        return 4 * (7 * n_params + 2 * shape.d_o ** 2)
    return 4 * (7 * n_params + 12 * shape.batch * shape.d_o)


#: On CPU, the most (setting, seed) runs a chunk puts on one device (a chunk
#: holds at least one setting per device, so with more seeds than this, all of them). A run's
#: working set (A, its Adam moments and gradient, the batch activations) is about
#: 1 MB, so a few runs per core stay in cache; measured on the 2-core machine
#: (3 seeds, d_z 16): 8,200 config-steps/s at 6 runs per device, 7,900 at 12,
#: 5,500 at 192 (one chunk for a whole panel). GPUs want the largest chunk.
CPU_RUNS_PER_DEVICE = 8
def chunk_size(shape: GroupShape, n_settings: int, n_seeds: int, memory_budget: int,
               n_devices: int, backend: str) -> int:
    """Settings per chunk: what fits ``memory_budget`` (and, on CPU, the cache),
    rounded up to a multiple of ``n_devices`` (the settings axis is sharded)."""
    chunk = max(1, min(n_settings, memory_budget // (bytes_per_run(shape) * n_seeds)))
    if backend == "cpu":
        chunk = min(chunk, max(1, CPU_RUNS_PER_DEVICE // n_seeds) * n_devices)
    return -(-chunk // n_devices) * n_devices


def _size(n: float) -> str:
    return f"{n / 2 ** 30:.1f} GiB" if n >= 2 ** 30 else f"{n / 2 ** 20:.1f} MiB"


def check_memory(shape: GroupShape, n_seeds: int, n_devices: int, backend: str, memory_limit: int) -> None:
    """Refuse a group whose smallest chunk cannot fit ``memory_limit`` bytes (all devices together).

    A chunk puts at least one setting on every device, and a device trains all
    ``n_seeds`` seeds of its setting at once, so each device needs ``n_seeds``
    runs of :func:`~lamsim.linear.train.bytes_per_run`. The error names the field
    to change: ``seeds`` when one run fits, else ``batch`` when the batch
    activations are most of a run, else ``d_o``."""
    per_run, per_device = bytes_per_run(shape), memory_limit / n_devices
    if per_run * n_seeds <= per_device:
        return
    holds = (f"the {n_devices} {backend} device{'s hold' if n_devices > 1 else ' holds'} {_size(per_device)}"
             f"{f' each ({_size(memory_limit)} in all)' if n_devices > 1 else ''}")
    if per_run <= per_device:
        most = int(per_device // per_run)
        fail("seeds", n_seeds, f"a device trains every seed of a setting at once, {n_seeds} x {_size(per_run)} = "
                               f"{_size(n_seeds * per_run)}, but {holds}; use at most {most} seed{'s' * (most > 1)}")
    run = (f"one run (d_o={shape.d_o}, d_z={shape.d_z}, batch={shape.batch}, profile {shape.profile}) needs "
           f"about {_size(per_run)} to train, but {holds}")
    batch_bytes = per_run - bytes_per_run(shape._replace(batch=1))
    if shape.profile not in EXPECTED_LOSS_PROFILES and 2 * batch_bytes > per_run:
        fail("batch", shape.batch, f"{run}; lower batch (or d_o)")
    fail("d_o", shape.d_o, f"{run}; lower d_o, or use devices with more memory")


def knobs_of(settings: Sequence[Setting]) -> Knobs:
    """The traced numbers of ``settings`` [K]: every ``padded`` and ``knob`` field's entries of
    :class:`~lamsim.linear.model.Knobs` (:meth:`~lamsim.linear.fields.Field.knob_values`), int32 for
    integers, float32 otherwise."""
    values = {}
    for s in settings:
        for f in FIELDS:
            if f.role in (PADDED, KNOB):
                for name, value in f.knob_values(s).items():
                    values.setdefault(name, []).append(value)
    return Knobs(**{name: jnp.asarray(v, jnp.int32 if all(isinstance(x, int) for x in v) else jnp.float32)
                    for name, v in values.items()})


@functools.lru_cache(maxsize=None)
def compiled_trainer(shape: GroupShape):
    """(init, segment) for a group shape, jitted once and reused by every chunk."""
    init, segment = make_trainer(shape)
    # Training state [S, K, ...] is split along the settings axis K over every device.
    return (jax.jit(init, out_shardings=devices.sharding(2, 1)),
            jax.jit(segment, static_argnums=5, donate_argnums=0))


def seed_inputs(shape: GroupShape, seeds: Sequence[int]):
    """(seeds [S], environments [S, ...]) on every device: what a group's chunks share."""
    return (devices.shard_axis(jnp.asarray(seeds, jnp.int32), None),
            devices.shard_axis(world.environments(seeds, shape.d_o, shape.d_a, shape.d_b, shape.state), None))


def train_settings(shape: GroupShape, settings: Sequence[Setting], inputs: tuple,
                   on_segment: Optional[Callable[[int], None]] = None, checkpoints: Sequence[int] = ()):
    """Train every (seed, setting) of one chunk; ``inputs`` is the group's
    :func:`seed_inputs`, built once for all its chunks. Returns float32 numpy
    parameters as a dict of arrays [S, K, ...] (padded shapes); with
    ``checkpoints`` (step counts, the last at most ``shape.steps``), a list of
    them, one per checkpoint, for training curves."""
    init, segment = compiled_trainer(shape)
    seeds_arr, env = inputs
    # Settings are split over the devices; every device draws its seeds' shared data.
    knobs = devices.shard_axis(knobs_of(settings), 0)
    state, saved = run_segments(lambda state, start, length: segment(state, seeds_arr, env, knobs, start, length),
                                init(seeds_arr, knobs), shape.steps, checkpoints,
                                advance=on_segment and (lambda start, end, _: on_segment(end - start)),
                                keep=lambda state: devices.to_host(state.params))
    return saved if checkpoints else devices.to_host(state.params)
