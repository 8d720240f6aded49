"""Exact, closed-form evaluation of a trained linear LAM, in float64 (paper Sec. 3.3, eq. 6).

The loadings of the true latent z = C o + D o' and of the surrogate latent
z_s = B^+ (o'_hat - o) on the independent sources, fed to the closed-form
probes of :mod:`lamsim.linear.probes` under the run's probe protocol and action
target (docs/method.md Sec. 6.5-6.6); the population loss; the diagnostics
of Prop. 4.1-4.4 (subspace alignment, ||A - I||, ||C + D||, ||D Y|| / ||D||).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lamsim.linear import paper_probes, state, theory
from lamsim.linear.model import full_idm
from lamsim.linear.probes import DEFAULT_RIDGE, Noise, Protocol, Terms, latent_terms
from lamsim.linear.readout import LATENT_LOADINGS, a_minus_i, subspace_alignment, unpadded_env, unpadded_params
from lamsim.linear.fields import STATE_NOISE
from lamsim.linear.settings import Setting

#: Arrays every sweep result holds, shaped [*axes, seed] (NaN where undefined).
METRICS = ("llo", "nmse_action", "nmse_noise", "nmse_obs", "llo_ridge0", "loss", "pca_floor", "theory_llo",
           "theory_nmse_action", "theory_nmse_noise", "theory_nmse_obs",
           "alignment", "a_minus_i", "c_plus_d", "dy_ratio", "llo_drift")
#: How far from converged a run ended: |llo_drift| (the exact LLO at the end of training minus
#: the one at half its steps) above this, and a verdict does not rest on the run.
CONVERGED_DRIFT = 0.01


def population_loss(params: dict, env: dict, chi: float, noise: Noise) -> float:
    """Exact per-coordinate reconstruction loss on the training distribution (no augmentation;
    a noise mean, as uniform noise has, counts through its second moment).

    With T = I + chi X Pi, o' = T o + (1 - chi) X s + eps and
    o' - o'_hat = [(I - B D) T - A - B C] o + (1 - chi)(I - B D) X s + (I - B D) eps.
    """
    b, (c, d) = params["B"], full_idm(params["C"], params["D"])
    x, pi = env["action_effect"], env["policy_map"]
    d_o = b.shape[0]
    keep = np.eye(d_o) - b @ d
    m_obs = keep + chi * (keep @ x) @ pi - (a_minus_i(params) + np.eye(d_o)) - b @ c
    total = np.sum(m_obs ** 2) + (1.0 - chi) ** 2 * np.sum((keep @ x) ** 2)
    if noise.active:
        total += np.sum(noise.load(keep) ** 2) + noise.mean ** 2 * np.sum(np.sum(keep, axis=1) ** 2)
    return float(total / d_o)


class Evaluation(NamedTuple):
    terms: Terms
    terms_ridge0: Terms  # the same latent's terms with delta = 0 (docs/method.md Sec. 6.4 shows both)
    loss: float
    alignment: float
    a_minus_i: float
    c_plus_d: float
    dy_ratio: float


def evaluate(params: dict, env: dict, chi: float, noise: Noise, latent: str,
             ridge: float = DEFAULT_RIDGE, probe: str = "interventional",
             action_target: str = "action", obs_latent: str = None) -> Evaluation:
    """All trained-model numbers of one run (float64, unpadded shapes).

    params: A [d_o, d_o] ([0, 0] or absent: A fixed to I), B [d_o, d_z], C, D
    [d_z, d_o] (D [0, 0]: the difference IDM z = C (o' - o), read in its full form
    (-C, C), so ``c_plus_d`` is 0); env: action_effect [d_o, d_a], policy_map [d_a, d_o], noise_map
    [d_o, d_b]. ``latent`` is what the action probe reads, ``obs_latent`` what
    the o and noise probes read (None: ``latent``); ``probe`` and
    ``action_target`` choose the probe protocol (:class:`Protocol`); none of
    them touches the loss or the diagnostics. ``dy_ratio`` is ||D Y||_F / ||D||_F for
    other-agent noise, NaN otherwise.
    """
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    params["C"], params["D"] = full_idm(params["C"], params["D"])
    x = env["action_effect"]
    loadings = LATENT_LOADINGS[latent](params, x)
    obs_loadings = None if obs_latent in (None, latent) else LATENT_LOADINGS[obs_latent](params, x)
    d = params["D"]
    d_norm = np.linalg.norm(d)
    dy_ratio = math.nan
    if noise.kind == "exo" and d_norm > 0:
        dy_ratio = float(np.linalg.norm(d @ env["noise_map"]) / d_norm)
    protocol = Protocol.of(probe, action_target, chi, env)
    shift = a_minus_i(params)
    return Evaluation(
        terms=latent_terms(*loadings, noise, ridge, protocol, obs_loadings),
        terms_ridge0=latent_terms(*loadings, noise, 0.0, protocol, obs_loadings),
        loss=population_loss(params, env, chi, noise),
        alignment=subspace_alignment(params["B"], x),
        a_minus_i=float(np.linalg.norm(shift) / math.sqrt(shift.shape[0])),
        c_plus_d=float(np.linalg.norm(params["C"] + d)),
        dy_ratio=dy_ratio,
    )


def noise_of(s: Setting, env: dict) -> Noise:
    return Noise(s.noise, s.sigma, env["noise_map"] if s.noise == "exo" else None, s.noise_dist)


def theory_metrics(s: Setting, env: dict, ridge: float) -> dict:
    """The metrics of ``s`` that do not depend on training: the PCA floor and
    the PCA-optimal latent's terms under ``s.probe`` and ``s.action_target``
    (NaN with labels, whose head changes the objective). env: the seed's
    padded float64 environment. Exogenous state: :func:`lamsim.linear.state.theory_metrics`."""
    if s.noise == STATE_NOISE:
        return state.theory_metrics(s, env, ridge)
    env = unpadded_env(s, env)
    noise = noise_of(s, env)
    theo = theory.optimal_latent_terms(env, s.chi, noise, s.d_z, ridge, s.probe, s.action_target)
    if s.label_rate > 0:
        theo = theo._make([math.nan] * 4)
    return {"pca_floor": theory.pca_floor(env, s.chi, noise, s.d_z), "theory_llo": theo.llo,
            "theory_nmse_action": theo.nmse_action, "theory_nmse_noise": theo.nmse_noise,
            "theory_nmse_obs": theo.nmse_obs}


def _read(s: Setting, params, env: dict):
    """(loadings of the action probe's latent, of the o and noise probes' latent, noise, unpadded env)
    of one run: params, padded float32 arrays of one (seed, setting); env, the seed's padded float64
    environment."""
    params = {k: np.asarray(v, np.float64) for k, v in unpadded_params(s, params).items()}
    unpadded = unpadded_env(s, env)
    x = unpadded["action_effect"]
    return (LATENT_LOADINGS[s.latent](params, x), LATENT_LOADINGS[s.probe_latent](params, x),
            noise_of(s, unpadded), unpadded)


def exact_llo(s: Setting, params, env: dict, ridge: float) -> float:
    """The LLO of one run read with the closed-form probes of ``s``'s protocol (whatever ``s.reading``)."""
    if s.noise == STATE_NOISE:
        return state.exact_llo(s, params, env, ridge)
    loadings, obs_loadings, noise, unpadded = _read(s, params, env)
    return latent_terms(*loadings, noise, ridge, Protocol.of(s.probe, s.action_target, s.chi, unpadded),
                        obs_loadings).llo


def paper_design(s: Setting, params, env: dict):
    """The probe problems of one run read the authors' way (:func:`lamsim.linear.paper_probes.design`)."""
    loadings, obs_loadings, noise, unpadded = _read(s, params, env)
    return paper_probes.design(loadings, obs_loadings, noise, s.chi, unpadded["policy_map"], s.probe)


def evaluate_run(s: Setting, params: dict, env: dict, ridge: float, theory_part: dict = None) -> dict:
    """Every metric of one trained run, the LLO terms and the theory's under
    ``s.probe`` and ``s.action_target``. params: padded float32 arrays of one
    (seed, setting); env: the seed's padded float64 environment; theory_part:
    :func:`theory_metrics` of the same setting and seed, if already computed. Exogenous state:
    :func:`lamsim.linear.state.evaluate_run` (it adds ``nmse_state`` and ``theory_nmse_state``)."""
    if s.noise == STATE_NOISE:
        return state.evaluate_run(s, params, env, ridge, theory_part)
    params = unpadded_params(s, params)
    unpadded = unpadded_env(s, env)
    ev = evaluate(params, unpadded, s.chi, noise_of(s, unpadded), s.latent, ridge, s.probe, s.action_target,
                  s.obs_latent)
    return {
        "llo": ev.terms.llo, "nmse_action": ev.terms.nmse_action, "nmse_noise": ev.terms.nmse_noise,
        "nmse_obs": ev.terms.nmse_obs, "llo_ridge0": ev.terms_ridge0.llo, "loss": ev.loss,
        "alignment": ev.alignment, "a_minus_i": ev.a_minus_i, "c_plus_d": ev.c_plus_d, "dy_ratio": ev.dy_ratio,
        **(theory_metrics(s, env, ridge) if theory_part is None else theory_part),
    }
