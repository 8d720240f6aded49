"""The paper's reading: linear probes with bias trained the authors' way (``Setting.reading='paper'``).

The authors' figure scripts (github zhangchuheng123/LinearLAM, ``scripts/*.py``) read a trained
linear LAM with three ``Linear`` probes (weights and bias, framework-default initialisation
U[-1/sqrt(k), 1/sqrt(k)]), trained jointly by Adam at 1e-3 on batches of 128 fresh samples for
5,000 steps, each on the mean squared error of its own target: the action a, the observation o
and the noise (eps for i.i.d. noise, b for other agents). Where the probe's finite training
sets the number (a latent whose covariance has directions of tiny variance, as at chi = 1),
the closed-form probe of :mod:`lamsim.linear.probes` reads something else; this module trains
the probes as the authors did and then scores the trained probes exactly.

Fitting distribution: the training distribution (a = chi Pi o + (1 - chi) s, noise as trained).
Scoring distribution: the one of the run's ``probe`` protocol (interventional actions, with or
without noise in o'), computed in closed form (float64) from the trained weights:
E||W^T l + b - y||^2 = tr(W^T Cov(l) W) - 2 tr(W^T Cov(l, y)) + tr Cov(y) + ||W^T E l + b - E y||^2,
divided by tr Cov(y).

Every probe of every run is trained in one compiled ``lax.scan``, vmapped over the probes of a
kind (action, observation, noise), with padded widths: a padded latent coordinate is always 0
(its weights never move) and a padded target coordinate has its own weights, which Adam keeps
apart from the others.
"""
from __future__ import annotations

import functools
from typing import NamedTuple, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from lamsim.linear import world
from lamsim.linear.probes import Noise, Terms

#: The authors' probe training: Adam at this rate, batches of this size, this many steps.
PROBE_LEARNING_RATE = 1e-3
PROBE_BATCH = 128
PROBE_STEPS = 5000


class Design(NamedTuple):
    """One run's probe problems, on raw sources src = [o (d_o), s (d_a), e (d_e)].

    o, s ~ N(0, I); e: the noise source, N(0, I) or U[0, 1) per coordinate (``uniform``).
    fit_action, fit_obs: [k_a, n], [k_o, n] loadings of the two latents (the one the
    action probe reads and the one the o and noise probes read) on the fitting
    distribution; score_*: the same on the scoring distribution, where s plays the
    intervened action a; action_fit: [d_a, n] the action on the fitting
    distribution (chi Pi o + (1 - chi) s); noise_scale: the noise target is
    noise_scale * e (eps for i.i.d. noise, b for other agents).
    """

    fit_action: np.ndarray
    fit_obs: np.ndarray
    score_action: np.ndarray
    score_obs: np.ndarray
    action_fit: np.ndarray
    d_o: int
    d_a: int
    d_e: int
    uniform: bool
    noise_scale: float
    score_noise_in_latent: bool


def design(loadings: tuple, obs_loadings: tuple, noise: Noise, chi: float, policy_map: np.ndarray,
           probe: str) -> Design:
    """The probe problems of one run: ``loadings`` and ``obs_loadings`` are (L_o [k, d_o],
    L_a [k, d_a], L_eps [k, d_o]) of the latents the action probe and the o / noise probes
    read (interventional responses); ``probe`` is the scoring protocol."""
    l_o, l_a, _ = loadings
    d_o, d_a = l_o.shape[1], l_a.shape[1]
    if not noise.active:
        noise_factor = np.zeros((d_o, 0))
    elif noise.kind == "exo":
        noise_factor = noise.sigma * noise.noise_map
    else:
        noise_factor = noise.sigma * np.eye(d_o)
    d_e = noise_factor.shape[1]

    def fit(lo, la, le):
        return np.concatenate([lo + chi * la @ policy_map, (1.0 - chi) * la, le @ noise_factor], axis=1)

    def score(lo, la, le):
        return np.concatenate([lo, la, le @ noise_factor], axis=1)

    action_fit = np.concatenate([chi * policy_map, (1.0 - chi) * np.eye(d_a), np.zeros((d_a, d_e))], axis=1)
    return Design(fit(*loadings), fit(*obs_loadings), score(*loadings), score(*obs_loadings), action_fit,
                  d_o, d_a, d_e, noise.dist == "uniform", 1.0 if noise.kind == "exo" else noise.sigma,
                  probe != "noise-free")


class _Problem(NamedTuple):
    load: jax.Array        # [K, N] latent loadings on the raw sources
    target: jax.Array      # [M, N] target loadings (action), or unused
    k: jax.Array           # true latent width (the initialisation's fan-in)
    scale: jax.Array       # noise target scale


def _train(key, problem: _Problem, *, kind: str, d_o: int, d_a: int, d_e: int, out: int, uniform: bool,
           steps: int):
    """(W [K, out], b [out]) of one probe after ``steps`` Adam steps on fresh batches."""
    n_lat = problem.load.shape[0]
    bound = jax.lax.rsqrt(problem.k.astype(jnp.float32))
    kw, kb, kd = jax.random.split(key, 3)
    params = (jax.random.uniform(kw, (n_lat, out), jnp.float32, -1.0, 1.0) * bound,
              jax.random.uniform(kb, (out,), jnp.float32, -1.0, 1.0) * bound)
    opt = optax.adam(PROBE_LEARNING_RATE)
    gaussian_width = d_o + d_a

    def batch(step):
        k = jax.random.fold_in(kd, step)
        src = world.stream_normal(jax.random.fold_in(k, 0), PROBE_BATCH, gaussian_width)
        if d_e:
            draw = world.stream_uniform_matrix if uniform else world.stream_normal
            src = jnp.concatenate([src, draw(jax.random.fold_in(k, 1), PROBE_BATCH, d_e)], axis=1)
        latent = src @ problem.load.T
        if kind == "action":
            y = src @ problem.target.T
        elif kind == "obs":
            y = src[:, :d_o]
        else:
            y = problem.scale * src[:, gaussian_width:]
        return latent, y

    def loss(p, latent, y):
        return jnp.mean(jnp.square(latent @ p[0] + p[1] - y))

    def body(carry, step):
        p, state = carry
        grads = jax.grad(loss)(p, *batch(step))
        updates, state = opt.update(grads, state, p)
        return (optax.apply_updates(p, updates), state), None

    (params, _), _ = jax.lax.scan(body, (params, opt.init(params)), jnp.arange(steps))
    return params


@functools.lru_cache(maxsize=None)
def _compiled(kind: str, d_o: int, d_a: int, d_e: int, out: int, uniform: bool, steps: int):
    train = functools.partial(_train, kind=kind, d_o=d_o, d_a=d_a, d_e=d_e, out=out, uniform=uniform, steps=steps)
    return jax.jit(jax.vmap(train))


def _pad(m: np.ndarray, rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols))
    out[:m.shape[0], :m.shape[1]] = m
    return out


def _error(w: np.ndarray, b: np.ndarray, load: np.ndarray, target: np.ndarray, e_start: int, d_e: int,
           uniform: bool, noise_in_latent: bool, target_fresh: bool) -> float:
    """Normalised error of the probe (w [k, m], b [m]) on a scoring distribution where the
    latent is load @ src and the target target @ src' (src' = src, or an independent copy of
    the noise part when ``target_fresh``), both divided by tr Cov(target)."""
    var = np.ones(load.shape[1])
    mean = np.zeros(load.shape[1])
    if uniform:
        var[e_start:e_start + d_e], mean[e_start:e_start + d_e] = 1.0 / 12.0, 0.5
    load = load.copy()
    if not noise_in_latent:
        load[:, e_start:e_start + d_e] = 0.0
    cov_l = (load * var) @ load.T
    cross = np.zeros((load.shape[0], target.shape[0])) if target_fresh else (load * var) @ target.T
    target_var = float(np.sum(target ** 2 * var))
    bias = w.T @ (load @ mean) + b - target @ mean
    err = np.sum(w * (cov_l @ w)) - 2.0 * np.sum(w * cross) + target_var + float(bias @ bias)
    return float(err / target_var)


def read(designs: Sequence[Design], seeds: Sequence[int], steps: int = PROBE_STEPS) -> list:
    """Train the three probes of every run the authors' way and score them exactly.

    designs: one :class:`Design` per run (same d_o; widths may differ and are padded);
    seeds: one per run (the probes' initialisation and batches). Returns a
    :class:`~lamsim.linear.probes.Terms` per run.
    """
    if not designs:
        return []
    d_o = designs[0].d_o
    d_a = max(d.d_a for d in designs)
    d_e = max(d.d_e for d in designs)
    uniform = any(d.uniform for d in designs)
    n = d_o + d_a + d_e

    def sources(d: Design, m: np.ndarray) -> np.ndarray:
        """Loadings on (o, s, e) placed in the padded source layout."""
        out = np.zeros((m.shape[0], n))
        out[:, :d_o + d.d_a] = m[:, :d_o + d.d_a]
        out[:, d_o + d_a:d_o + d_a + d.d_e] = m[:, d_o + d.d_a:]
        return out

    keys = jnp.stack([jax.random.fold_in(jax.random.key(s), 0x9B0BE) for s in seeds])
    results = {}
    for kind, latent_of, out in (("action", lambda d: d.fit_action, d_a), ("obs", lambda d: d.fit_obs, d_o),
                                 ("noise", lambda d: d.fit_obs, d_e)):
        if out == 0:
            continue
        width = max(latent_of(d).shape[0] for d in designs)
        problem = _Problem(
            load=jnp.asarray(np.stack([_pad(sources(d, latent_of(d)), width, n) for d in designs]), jnp.float32),
            target=jnp.asarray(np.stack([_pad(sources(d, d.action_fit), d_a, n) for d in designs]), jnp.float32),
            k=jnp.asarray([latent_of(d).shape[0] for d in designs], jnp.int32),
            scale=jnp.asarray([d.noise_scale for d in designs], jnp.float32))
        results[kind] = jax.tree.map(np.asarray, _compiled(kind, d_o, d_a, d_e, out, uniform, steps)(
            jax.vmap(lambda k: jax.random.fold_in(k, len(results)))(keys), problem))
    terms = []
    for i, d in enumerate(designs):
        e_start = d_o + d_a
        score_a = sources(d, d.score_action).astype(np.float64)
        score_o = sources(d, d.score_obs).astype(np.float64)
        action_target = np.zeros((d.d_a, n))
        action_target[:, d_o:d_o + d.d_a] = np.eye(d.d_a)  # intervened: a = s
        w, b = (np.asarray(x[i], np.float64) for x in results["action"])
        k_a = d.score_action.shape[0]
        nmse_action = _error(w[:k_a, :d.d_a], b[:d.d_a], score_a[:k_a], action_target, e_start, d.d_e, d.uniform,
                             d.score_noise_in_latent, False)
        obs_target = np.eye(d_o, n)
        w, b = (np.asarray(x[i], np.float64) for x in results["obs"])
        k_o = d.score_obs.shape[0]
        nmse_obs = _error(w[:k_o], b, score_o[:k_o], obs_target, e_start, d.d_e, d.uniform,
                          d.score_noise_in_latent, False)
        nmse_noise = 1.0
        if d.d_e:
            noise_target = np.zeros((d.d_e, n))
            noise_target[:, e_start:e_start + d.d_e] = d.noise_scale * np.eye(d.d_e)
            w, b = (np.asarray(x[i], np.float64) for x in results["noise"])
            nmse_noise = _error(w[:k_o, :d.d_e], b[:d.d_e], score_o[:k_o], noise_target, e_start, d.d_e, d.uniform,
                                d.score_noise_in_latent, not d.score_noise_in_latent)
        terms.append(Terms(-nmse_action + nmse_noise + nmse_obs, nmse_action, nmse_noise, nmse_obs))
    return terms
