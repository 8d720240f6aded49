"""The minimum of the expected training loss, found numerically where no closed form gives it.

The PCA theory (:mod:`lamsim.linear.theory`, paper Prop. 4.1, 4.2) is the optimum of the
un-augmented, unlabelled loss, and NaN with action labels: there the head's term (paper Sec. 4.4,
Prop. 4.4) competes with the reconstruction and no closed form is known. So a trained run with
labels cannot be told apart from the optimum by the theory. :func:`minimise` finds the minimum of
:func:`lamsim.linear.exact.expected_loss` (the function the ``exact`` profile descends: the
expected value of the sample loss, labels, augmentation and policy included) with L-BFGS
(``optax.lbfgs``, zoom line search) in float64, from a fixed set of starts, each run until the
norm of its gradient is below ``tol`` (or ``max_iter`` iterations). The lowest end point is the
optimum; its LLO (:func:`optimum_metrics`) is read like a trained run's.

Deterministic: the starts are

* ``random_starts`` framework-default initialisations (:func:`lamsim.linear.model.init_params`)
  from keys folded from the run's seed (not the training's own keys), and
* two subspace starts (:func:`lamsim.linear.theory.subspace_params`): the top-d_z principal
  directions of the residual (the unlabelled optimum: the loudest directions, the other agents'
  noise when sigma_exo > 1), and the action subspace X completed by those directions (where labels
  pull the latent).

Nothing else is random, and among starts that end equally low the first in this order is kept.
Where the optimum is a set that moves the LLO (chi = 1, tied eigenvalues: the theory's NaN
without labels), ``optimum_llo`` is the LLO of one of its points, not a property of the set.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.tree_utils as otu

from lamsim.linear import exact, model, state, theory, world
from lamsim.linear.evaluate import exact_llo, noise_of
from lamsim.linear.model import Knobs, Params
from lamsim.linear.readout import unpadded_env
from lamsim.linear.fields import STATE_NOISE
from lamsim.linear.settings import Setting
from lamsim.linear.train import knobs_of

#: The arrays a sweep with ``optimum=True`` adds, shaped like every metric ([*axes, seed]).
OPTIMUM_METRICS = ("optimum_llo", "optimum_loss", "optimum_grad_norm")
#: Framework-default starts per (setting, seed), besides the two subspace starts.
RANDOM_STARTS = 4
#: L-BFGS stops once the Euclidean norm of the whole gradient is below this (float64) ...
GRAD_TOL = 1e-9
#: ... or after this many iterations.
MAX_ITER = 20000
#: Fold-in tag of the starts' keys: apart from the training's (parameter 1, data 2).
_START_TAG = 0x0971


class Optimum(NamedTuple):
    """The lowest end point over the starts.

    params: :class:`~lamsim.linear.model.Params` of float64 numpy arrays at the setting's own sizes
    (A [d_o, d_o] or [0, 0], B [d_o, d_z], C [d_z, d_o], D [d_z, d_o] or [0, 0], E [d_a, d_z]);
    loss: its expected loss; grad_norm: its gradient's norm; iterations: its L-BFGS iterations;
    losses: every start's final loss, in start order (their range shows local minima).
    """

    params: Params
    loss: float
    grad_norm: float
    iterations: int
    losses: tuple


def _knobs(s: Setting) -> Knobs:
    f64 = functools.partial(jnp.asarray, dtype=jnp.float64)
    return Knobs(jnp.int32(s.d_a), jnp.int32(s.d_z), f64(s.sigma_iid), f64(s.sigma_exo), f64(s.chi), f64(s.kappa),
                 f64(s.label_rate), f64(s.sigma_state), f64(s.rho), f64(s.mask_weight),
                 jnp.int32(s.d_b if s.mask_cover is None else s.mask_cover), jnp.int32(s.mask_leak))


def _as_params(p: dict, e: np.ndarray) -> Params:
    return Params(**{k: np.asarray(p[k], np.float64) for k in "ABCD"}, E=np.asarray(e, np.float64))


def starts(s: Setting, env: dict, seed: int, random_starts: int = RANDOM_STARTS) -> list:
    """The fixed starting points of :func:`minimise`, as float64 :class:`Params` at ``s``'s sizes.

    env: the seed's float64 environment (:func:`lamsim.linear.world.environment_f64`, any d_a >=
    s.d_a: the first s.d_a columns are used). Random starts from
    ``fold_in(key(seed), _START_TAG + i)``; then the principal and the action subspace starts
    (module docstring), whose head is E = X^T U [d_a, d_z]."""
    env = unpadded_env(s, env)
    knobs = jax.tree.map(lambda v: v[0], knobs_of([s]))
    out = []
    for i in range(random_starts):
        key = jax.random.fold_in(jax.random.key(seed), _START_TAG + i)
        p = model.init_params(key, knobs, s.d_o, s.d_a, s.d_z, s.learn_a, s.idm)
        out.append(Params(*(np.asarray(v, np.float64) for v in p)))
    exo_state = s.noise == STATE_NOISE
    principal = (state.principal_directions(s, env) if exo_state
                 else theory.principal_directions(env, s.chi, noise_of(s, env), s.d_z))
    action = world.orthonormal_columns(np.concatenate([env["action_effect"], principal], axis=1))[:, :s.d_z]
    for u in (principal, action):
        p = state.subspace_params(s, env, u) if exo_state else theory.subspace_params(env, s.chi, u, s.idm)
        if not s.learn_a:
            p["A"] = np.zeros((0, 0))
        out.append(_as_params(p, env["action_effect"].T @ u))
    return out


@functools.lru_cache(maxsize=None)
def _solver(batch: int, uniform: bool, tol: float, max_iter: int, exo_state: bool = False, masked: bool = False):
    """jit of one L-BFGS run: (params, knobs, env) -> (params, loss, grad_norm, iterations).
    Compiled once per shape and flags; the starts run one after another (vmapped, the zoom line
    search's nested loops take 2.5x longer to compile and run in lock-step)."""
    opt = optax.lbfgs()

    def run(params, knobs, env):
        def fun(p):
            return exact.expected_loss(p, knobs, env, batch, uniform=uniform, state=exo_state, mask=masked)

        value_and_grad = optax.value_and_grad_from_state(fun)

        def step(carry):
            p, state = carry
            value, grad = value_and_grad(p, state=state)
            updates, state = opt.update(grad, state, p, value=value, grad=grad, value_fn=fun)
            return optax.apply_updates(p, updates), state

        def going(carry):
            _, state = carry
            count = otu.tree_get(state, "count")
            return (count == 0) | ((count < max_iter) & (otu.tree_norm(otu.tree_get(state, "grad")) >= tol))

        p, state = jax.lax.while_loop(going, step, (params, opt.init(params)))
        value, grad = jax.value_and_grad(fun)(p)
        return p, value, otu.tree_norm(grad), otu.tree_get(state, "count")

    return jax.jit(run)


def minimise(s: Setting, env: dict, seed: int = 0, random_starts: int = RANDOM_STARTS, tol: float = GRAD_TOL,
             max_iter: int = MAX_ITER) -> Optimum:
    """The minimum of the expected loss of ``s`` (:func:`lamsim.linear.exact.expected_loss` at
    batch ``s.batch``) over the parameters, from the :func:`starts` of ``seed``.

    env: the seed's float64 environment (d_a >= s.d_a). Returns the :class:`Optimum` of the lowest
    start (ties: the first). Runs in float64 whatever JAX's default precision.
    """
    points = starts(s, env, seed, random_starts)
    unpadded = unpadded_env(s, env)
    uniform = s.noise_dist == "uniform" and s.sigma_iid > 0
    solve = _solver(s.batch, uniform, float(tol), int(max_iter), s.noise == STATE_NOISE, s.mask_active)
    with jax.enable_x64(True):
        knobs = _knobs(s)
        jenv = world.Environment(*(jnp.asarray(unpadded[k], jnp.float64) for k in world.Environment._fields))
        ends = [jax.tree.map(np.asarray, solve(jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), p), knobs, jenv))
                for p in points]
    losses = [float(loss) for _, loss, _, _ in ends]
    params, loss, norm, count = ends[int(np.argmin(losses))]
    return Optimum(Params(*(np.asarray(v, np.float64) for v in params)), float(loss), float(norm), int(count),
                   tuple(losses))


def optimum_metrics(s: Setting, found: Optimum, env: dict, ridge: float) -> dict:
    """The :data:`OPTIMUM_METRICS` of ``s`` at ``found`` (:func:`minimise` of ``s.training()``):
    the LLO under ``s``'s latent and probe protocol with closed-form probes
    (:func:`lamsim.linear.evaluate.exact_llo`), the loss and the gradient norm. env: the seed's
    float64 environment."""
    return {"optimum_llo": exact_llo(s, found.params, env, ridge), "optimum_loss": found.loss,
            "optimum_grad_norm": found.grad_norm}
