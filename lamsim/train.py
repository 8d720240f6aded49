"""Training: Adam on fresh batches, one ``lax.scan``, vmapped over seeds and settings.

A *group* is a set of settings that share every array shape (d_o, d_b, batch,
steps, profile and the padded d_a, d_z) and so one compiled program. Inside a
group the settings differ only by numbers (:class:`~lamsim.model.Knobs`:
d_a and d_z as masks, sigma, chi, kappa, label_rate), which are vmapped. Seeds
are the outer vmap axis: every setting of a seed sees the same data stream
(common random numbers), drawn once per step and shared.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from lamsim import data, model
from lamsim.model import Knobs, Params


class GroupShape(NamedTuple):
    """Everything static about a group: one compiled program per distinct value.

    d_a, d_z are the padded (largest) sizes; iid/exo/augment/labels switch on
    the data streams and loss terms that some setting of the group needs.
    """

    d_o: int
    d_a: int
    d_z: int
    d_b: int
    batch: int
    steps: int
    profile: str
    iid: bool
    exo: bool
    augment: bool
    labels: bool


class TrainState(NamedTuple):
    params: Params
    opt_state: optax.OptState


def learning_rate(profile: str, steps: int) -> optax.Schedule:
    """SPEC section 3: ``faithful`` constant 1e-3; ``fast`` cosine 1e-2 -> 1e-4."""
    if profile == "faithful":
        return optax.constant_schedule(1e-3)
    return optax.cosine_decay_schedule(init_value=1e-2, decay_steps=steps, alpha=1e-2)


def optimizer(profile: str, steps: int) -> optax.GradientTransformation:
    return optax.adam(learning_rate(profile, steps))


def _keys(seed: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(parameter key, data key) of a seed."""
    root = jax.random.key(seed)
    return jax.random.fold_in(root, 1), jax.random.fold_in(root, 2)


def make_trainer(shape: GroupShape):
    """Build ``(init, segment)`` for one group shape.

    ``init(seeds [S], knobs [K]) -> TrainState [S, K, ...]`` and
    ``segment(state, seeds [S], env [S, ...], knobs [K], start, length) -> state``
    run ``length`` Adam steps from step ``start``; both are pure, so they can be
    jitted once and called per segment (progress) or per chunk (memory).
    """
    opt = optimizer(shape.profile, shape.steps)

    def init_one(seed, knobs):
        params = model.init_params(_keys(seed)[0], knobs, shape.d_o, shape.d_a, shape.d_z)
        return TrainState(params, opt.init(params))

    def init(seeds, knobs):
        return jax.vmap(lambda s: jax.vmap(lambda k: init_one(s, k))(knobs))(seeds)

    def seed_sources(seed, env, step):
        key = jax.random.fold_in(_keys(seed)[1], step)
        raw = data.raw_batch(key, shape.batch, shape.d_o, shape.d_a, shape.d_b,
                             iid=shape.iid, exo=shape.exo, augment=shape.augment, labels=shape.labels)
        return model.sources(raw, env.policy_map, env.noise_map)

    def update_one(state, src, knobs, action_effect):
        grads = jax.grad(model.loss)(state.params, src, knobs, action_effect)
        updates, opt_state = opt.update(grads, state.opt_state, state.params)
        return TrainState(optax.apply_updates(state.params, updates), opt_state)

    def update_seed(state, src, knobs, action_effect):
        return jax.vmap(update_one, in_axes=(0, None, 0, None))(state, src, knobs, action_effect)

    def segment(state, seeds, env, knobs, start, length):
        def body(state, step):
            src = jax.vmap(seed_sources, in_axes=(0, 0, None))(seeds, env, step)
            state = jax.vmap(update_seed, in_axes=(0, 0, None, 0))(state, src, knobs, env.action_effect)
            return state, None

        state, _ = jax.lax.scan(body, state, start + jnp.arange(length))
        return state

    return init, segment


def segment_length(steps: int, parts: int = 10) -> int:
    """A divisor of ``steps`` near ``steps / parts`` (segments report progress);
    ``steps`` itself when no divisor lies within a factor 2 of it."""
    target = max(1, steps // parts)
    for length in sorted(range(max(1, target // 2), 2 * target + 1), key=lambda n: abs(n - target)):
        if steps % length == 0:
            return length
    return steps
