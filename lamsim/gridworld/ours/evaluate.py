"""Scoring a trained non-linear LAM on held-out uniform-policy data (paper Sec. 5, Table 1).

The paper normalises its losses by "the variance of the signal" without
saying which. We report two normalisers of the same squared error:

- total variance (``controllable_loss``, ``stochastic_loss``): the summed
  per-pixel variance of the target rows over the evaluation set (about 11/12
  per sample for rows 0-2, one lit cell among 12; intensity^2 for row 3);
- conditional variance (``controllable_loss_cond``, ``stochastic_loss_cond``):
  ``E||o' - E[o' | o]||^2`` of the target rows over the evaluation set, with
  E[o' | o] exact from the world's dynamics
  (:func:`~lamsim.gridworld.ours.world.conditional_mean`). Under the uniform
  policy it is 0.8 per sample for rows 0-2 (five equally likely, distinct next
  cells: 0.8^2 + 4 * 0.2^2) and intensity^2 for row 3, whose noise is
  independent of o (there it equals the total variance up to sampling). A
  latent with no action information that predicts E[o' | o] scores 1.0.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lamsim.gridworld.ours import world as gridworld
from lamsim.gridworld.ours.networks import LAM, codebook_of
from lamsim.gridworld.ours.settings import Config


def normalised_losses(prediction, data: gridworld.Transitions, noise_intensity) -> dict:
    """The four normalised losses of predictions [N, 4, 4] of ``data.o_next``
    on uniform-policy transitions ``data`` (see the module docstring); NaN
    where a normaliser is 0 (the noise row without noise)."""
    rows = gridworld.AGENT_ROWS
    expected = gridworld.conditional_mean(data.agent, noise_intensity, jnp.float32(0.0))
    out = {}
    for name, part in (("controllable", slice(None, rows)), ("stochastic", slice(rows, None))):
        target = data.o_next[:, part]
        mse = jnp.sum(jnp.mean((prediction[:, part] - target) ** 2, axis=0))
        for suffix, variance in (("", jnp.sum(jnp.var(target, axis=0))),
                                 ("_cond", jnp.sum(jnp.mean((target - expected[:, part]) ** 2, axis=0)))):
            out[f"{name}_loss{suffix}"] = jnp.where(variance > 0, mse / jnp.where(variance > 0, variance, 1.0),
                                                    jnp.nan)
    return out


def evaluate(params, config: Config, eval_key: jax.Array, noise_intensity: jax.Array) -> dict:
    """Metrics of one trained run on held-out uniform-policy data (scalars).

    controllable_loss: normalised MSE of o'_hat on rows 0-2 (lower = the latent
    carries more of the action); stochastic_loss: the same on row 3 (1.0 = it
    carries none of the noise; NaN without noise); both by the total variance,
    and with suffix ``_cond`` by the conditional variance; action_purity: share of
    transitions whose code's most frequent action is their own action;
    codes_used: codes picked by at least one transition; code_action_counts:
    [codes, actions] transitions per (assigned code, true action).
    """
    model = LAM(config)
    data = gridworld.evaluation_set(eval_key, config.eval_size, noise_intensity)
    prediction, vq = model.apply(params, data.o, data.o_next, data.o)
    counts = jax.nn.one_hot(vq.index, config.codes).T @ jax.nn.one_hot(data.action, gridworld.N_ACTIONS)
    return {
        **normalised_losses(prediction, data, noise_intensity),
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
