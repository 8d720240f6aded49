"""Beyond pixels, training: the linear LAM on a frozen feature map, a learned encoder with a slow target,
or a multi-step window (docs/method.md Sec. 18), Adam in one ``lax.scan`` vmapped over seeds and
settings of one shape.

The model (paper Sec. 3.2 with the features of :mod:`lamsim.linear.window`): the IDM reads
phi(o_t) and phi(o_{t+k}), z = C phi(o_t) + D phi(o_{t+k}) (or C (phi(o_{t+k}) - phi(o_t)), the
difference IDM), the FDM predicts y_hat = A g(phi(o_t)) + B z (A fixed to I: g(phi(o_t)) + B z) and the
loss is ||target(o_target) - y_hat||^2 / d_r, plus the label loss of paper Sec. 4.4 on a_hat = E z.

* frozen maps: phi = target = F (:func:`lamsim.linear.window.feature_map`), g the identity;
* a learned encoder W [d_r, d_o]: phi(o) = W o; the target is sg(W_bar o') with
  W_bar <- (1 - tau) W_bar + tau W after every update (``ema``; tau 1: sg(W o')), or W o' with its
  gradient (``none``); g is the identity or a stop-gradient (``state_input="stop"``, LAOM); weight
  decay on W is decoupled (AdamW).

Every input is linear in the window's standard sources, whose loadings L [dim, n] are handed in as
"rows" L^T [n, dim]. The loss summed over the n rows is the expected loss over the sources exactly
(each row a unit source; with the target held fixed inside the gradient, the EMA after each update):
the ``exact`` profile runs Adam on it. The sampled profiles draw zeta [batch, n] ~ N(0, I) per step
and feed the rows zeta L^T, averaging over the batch: the same function, another reduction.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lamsim.linear.exact import label_weight
from lamsim.linear.settings import Setting
from lamsim.linear.train import EXPECTED_LOSS_PROFILES, learning_rate
from lamsim.linear.window import Window
from lamsim.runtime.loop import run_segments, seed_keys


class WindowParams(NamedTuple):
    """A [d_r, d_r] ([0, 0]: fixed to I), B [d_r, d_z], C [d_z, d_r], D [d_z, d_r] ([0, 0]: the
    difference IDM), E [d_a, d_z], W [d_r, d_o] (the learned encoder; [0, 0] for a frozen map)."""

    A: jax.Array
    B: jax.Array
    C: jax.Array
    D: jax.Array
    E: jax.Array
    W: jax.Array


class Rows(NamedTuple):
    """One run's window as rows [n, .] (the loadings transposed): obs o_t, idm_next o_{t+k}, target
    the FDM's target frame, action a_t [n, d_a], shift_idm, shift_fdm |kappa| kappa1, kappa2; with a
    frozen map every frame and shift already mapped by F ([n, d_r]), else [n, d_o]; label_rate and tau:
    scalars."""

    obs: jax.Array
    idm_next: jax.Array
    target: jax.Array
    action: jax.Array
    shift_idm: jax.Array
    shift_fdm: jax.Array
    label_rate: jax.Array
    tau: jax.Array


class Shape(NamedTuple):
    """What one compiled program fixes (settings that share it train vmapped together)."""

    n: int
    d_in: int
    d_r: int
    d_z: int
    d_a: int
    learned: bool
    target: str
    state_input: str
    learn_a: bool
    idm: str
    labels: bool
    profile: str
    steps: int
    batch: int
    weight_decay: float


class WindowState(NamedTuple):
    params: WindowParams
    opt_state: optax.OptState
    target: jax.Array  # W_bar [d_r, d_o] ([0, 0] without a learned encoder)


def shape_of(s: Setting, win: Window) -> Shape:
    learned = s.features == "learned"
    return Shape(n=win.obs.shape[1], d_in=s.d_o if learned else s.feature_size, d_r=s.feature_size, d_z=s.d_z,
                 d_a=s.d_a, learned=learned, target=s.target, state_input=s.state_input, learn_a=s.learn_a,
                 idm=s.idm, labels=s.label_rate > 0, profile=s.profile, steps=s.train_steps, batch=s.batch,
                 weight_decay=s.weight_decay if learned else 0.0)


def rows_of(s: Setting, win: Window, feature) -> Rows:
    """The rows of ``s``'s window (float32); a frozen ``feature`` map [d_r, d_o] is applied here, once."""
    def mapped(m):
        return m if feature is None else feature @ m
    return Rows(*(jnp.asarray(mapped(m).T, jnp.float32) for m in
                  (win.obs, win.idm_next, win.target)), jnp.asarray(win.action.T, jnp.float32),
                *(jnp.asarray(mapped(m).T, jnp.float32) for m in (win.shift_idm, win.shift_fdm)),
                jnp.float32(s.label_rate), jnp.float32(s.tau))


def init_params(key: jax.Array, shape: Shape) -> WindowParams:
    """Uniform[-1/sqrt(fan_in), 1/sqrt(fan_in)] (fan_in = columns), each matrix from its own key."""
    d_r, d_z = shape.d_r, shape.d_z
    sizes = {"A": (d_r, d_r) if shape.learn_a else (0, 0), "B": (d_r, d_z), "C": (d_z, d_r),
             "D": (d_z, d_r) if shape.idm == "full" else (0, 0), "E": (shape.d_a, d_z),
             "W": (d_r, shape.d_in) if shape.learned else (0, 0)}
    keys = jax.random.split(key, len(sizes))
    return WindowParams(**{name: jax.random.uniform(k, size, jnp.float32, -1.0, 1.0) / np.sqrt(max(size[1], 1))
                           for k, (name, size) in zip(keys, sizes.items())})


def loss(params: WindowParams, target_map: jax.Array, rows: Rows, shape: Shape, reduce: str,
         label_draw: jax.Array = None) -> jax.Array:
    """The loss over ``rows`` (module docstring): ``reduce="sum"`` over unit-source rows (the expected
    loss), ``"mean"`` over a sampled batch (label_draw [batch] uniforms then mark the labelled ones).
    target_map: W_bar (an EMA target; its gradient is cut here)."""
    if shape.learned:
        def phi(m):
            return m @ params.W.T
        tmap = params.W if shape.target == "none" else jax.lax.stop_gradient(target_map)
        target = rows.target @ tmap.T
    else:
        def phi(m):
            return m
        target = rows.target
    idm_obs, idm_next = phi(rows.obs + rows.shift_idm), phi(rows.idm_next + rows.shift_idm)
    if shape.idm == "difference":
        z = (idm_next - idm_obs) @ params.C.T
    else:
        z = idm_obs @ params.C.T + idm_next @ params.D.T
    fdm_in = phi(rows.obs + rows.shift_fdm)
    if shape.state_input == "stop":
        fdm_in = jax.lax.stop_gradient(fdm_in)
    pred = (fdm_in @ params.A.T if shape.learn_a else fdm_in) + z @ params.B.T - phi(rows.shift_fdm)
    per_row = jnp.sum(jnp.square(pred - target), axis=-1) / shape.d_r
    total = jnp.sum(per_row) if reduce == "sum" else jnp.mean(per_row)
    if shape.labels:
        err = jnp.sum(jnp.square(z @ params.E.T - rows.action), axis=-1) / shape.d_a
        if reduce == "sum":
            total += label_weight(rows.label_rate, shape.batch) * jnp.sum(err)
        else:
            labelled = (label_draw < rows.label_rate).astype(jnp.float32)
            total += jnp.sum(labelled * err) / jnp.maximum(jnp.sum(labelled), 1.0)
    return total


def optimizer(shape: Shape) -> optax.GradientTransformation:
    """Adam at the profile's schedule (:func:`lamsim.linear.train.learning_rate`), with decoupled weight
    decay on the encoder W alone (AdamW) when ``weight_decay`` > 0."""
    rate = learning_rate(shape.profile, shape.steps)
    if shape.weight_decay == 0:
        return optax.adam(rate)
    only_w = WindowParams(*(name == "W" for name in WindowParams._fields))
    return optax.adamw(rate, weight_decay=shape.weight_decay, mask=only_w)


def make_trainer(shape: Shape):
    """``(init, segment)``: ``init(keys [R]) -> WindowState [R, ...]`` and
    ``segment(state, rows [R], data_keys [R], start, length)``: ``length`` steps of every run."""
    opt = optimizer(shape)
    exact = shape.profile in EXPECTED_LOSS_PROFILES

    def init_one(key):
        params = init_params(key, shape)
        return WindowState(params, opt.init(params), params.W)

    def step_one(state, rows, data_key, step):
        if exact:
            grads = jax.grad(loss)(state.params, state.target, rows, shape, "sum")
        else:
            key = jax.random.fold_in(data_key, step)
            zeta = jax.random.normal(jax.random.fold_in(key, 0), (shape.batch, shape.n), jnp.float32)
            batch = rows._replace(**{f: zeta @ getattr(rows, f) for f in Rows._fields[:6]})
            draw = jax.random.uniform(jax.random.fold_in(key, 1), (shape.batch,))
            grads = jax.grad(loss)(state.params, state.target, batch, shape, "mean", draw)
        updates, opt_state = opt.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        target = state.target
        if shape.learned and shape.target == "ema":
            target = (1.0 - rows.tau) * target + rows.tau * params.W
        return WindowState(params, opt_state, target)

    def segment(state, rows, data_keys, start, length):
        def body(state, step):
            return jax.vmap(step_one, in_axes=(0, 0, 0, None))(state, rows, data_keys, step), None
        state, _ = jax.lax.scan(body, state, start + jnp.arange(length))
        return state

    return jax.jit(jax.vmap(init_one)), jax.jit(segment, static_argnums=(4,))


def train(shape: Shape, rows: Rows, seeds, checkpoints=(), advance=None):
    """Train every run of one shape together. rows: :class:`Rows` stacked over runs [R, ...]; seeds:
    [R] ints (parameter and data keys, :func:`lamsim.runtime.loop.seed_keys`). Returns (final
    :class:`WindowState` [R, ...], [state at each checkpoint], initial parameters)."""
    keys = [seed_keys(int(s), 2) for s in seeds]
    init, segment = make_trainer(shape)
    state = init(jnp.stack([k[0] for k in keys]))
    start = state.params
    data_keys = jnp.stack([k[1] for k in keys])
    final, kept = run_segments(lambda st, a, n: segment(st, rows, data_keys, a, n), state, shape.steps,
                               checkpoints, advance, keep=lambda st: st)
    return final, kept, start
