"""Scoring a trained non-linear LAM on held-out uniform-policy data (paper Sec. 5, Table 1)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lamsim.gridworld import world as gridworld
from lamsim.gridworld.networks import LAM, codebook_of
from lamsim.gridworld.settings import Config


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


def score_runs(params, knobs, config: Config, eval_key: jax.Array, probe: jax.Array) -> tuple[dict, jax.Array]:
    """:func:`evaluate` and :func:`code_effects` of every run, vmapped.

    params, knobs: [R, ...] as returned by training; probe: the frame [4, 4]
    the code effects start from. Returns (metric -> [R, ...], effects
    [R, codes, 4, 4]).
    """
    def score(p, noise_intensity):
        return evaluate(p, config, eval_key, noise_intensity), code_effects(p, config, probe)

    return jax.jit(jax.vmap(score))(params, knobs.noise_intensity)
