"""Beyond the paper: exogenous state with its own dynamics, read exactly and against its theory (float64).

The world (``Setting(noise="exo-state", sigma=sigma_e, rho=rho)``; docs/method.md derives it): d_b
exogenous directions P (the environment's ``noise_map``, orthonormal, orthogonal to X) hold a state
e ~ N(0, I_{d_b}) of amplitude sigma_e,

    o = u + sigma_e P e,  u ~ N(0, I - P P^T),     e' = rho e + sqrt(1 - rho^2) xi,
    o' = o + X a + sigma_e P (e' - e) = o + X a + (rho - 1) P P^T o + c P xi,  c = sigma_e sqrt(1 - rho^2).

The drift (rho - 1) P P^T o is linear in o (P^T o = sigma_e e), so a learned A can absorb it; the
innovation c P xi is the future exogenous information no function of o predicts (Lee et al. 2026,
arXiv 2605.20223, argue that the reconstruction objective makes latents encode it).

**Reading.** Every latent is linear in the independent standard sources g (u = (I - P P^T) g), e, a
(intervened: a ~ N(0, I) independent of o) and xi. LLO = -nMSE(a | l) + nMSE(xi | l) + nMSE(o | l)
(paper eq. 6 with the innovation as the noise target; nMSE(xi | l) := 1 when rho = 1), and beside it
``nmse_state`` = nMSE(e | l): how much of the current exogenous state the latent holds (1: none, a
latent consistent across exogenous states). Probes: closed-form ridge least squares
(:func:`lamsim.linear.probes.probe_nmse`), o's total variance tr Cov(o) = d_o + (sigma_e^2 - 1) d_b.

**Theory.** The optimum is PCA on what the FDM cannot predict, in the metric of the loss weight
W = I - (1 - beta) M M^T (a mask, MaskLAM arXiv 2602.02259; W = I without one):

* A learned (full or difference IDM): the FDM predicts T o, T = I + chi X Pi + (rho - 1) P P^T, and
  the residual is r = (1 - chi) X s + c P xi: PCA on W^1/2 Cov(r) W^1/2. With W = I and chi = 0 the
  latent is action-first iff sigma_e^2 (1 - rho^2) < 1; a perfect mask of weight beta scales the
  exogenous eigenvalue: beta sigma_e^2 (1 - rho^2) < 1.
* A fixed to I (a residual FDM): the latent must explain the whole change Delta = o' - o: PCA on
  W^1/2 Cov(Delta) W^1/2, Cov(Delta) = K Sigma_o K^T + (1 - chi)^2 X X^T + c^2 P P^T with
  K = chi X Pi + (rho - 1) P P^T; at chi = 0 the exogenous eigenvalue is 2 sigma_e^2 (1 - rho):
  action-first iff 2 sigma_e^2 (1 - rho) < 1.

In every case the optimal latent (the surrogate B^+ (o'_hat - o) of the full IDM, either latent of
the difference IDM) is U^T W^1/2 Delta, U the top-d_z eigenvectors above, up to an invertible map:
the predicted change, which holds the drift sigma_e (rho - 1) P e, i.e. the current state, wherever U
takes exogenous directions. The closed form is NaN where it does not apply (labels, augmentation,
chi = 1, a mask of weight 0, a tie at the d_z-th eigenvalue that moves the LLO); :mod:`lamsim.linear.optimum` then
gives the numerical optimum.
"""
from __future__ import annotations

import math

import numpy as np

from lamsim.linear.model import full_idm
from lamsim.linear.probes import probe_nmse
from lamsim.linear.readout import a_minus_i, subspace_alignment, unpadded_env, unpadded_params
from lamsim.linear.settings import Setting

#: The arrays a sweep with exogenous state adds, shaped like every metric ([*axes, seed]).
STATE_METRICS = ("nmse_state", "theory_nmse_state")
_TIE_RTOL = 1e-9
_LLO_ATOL = 1e-6


def innovation_scale(s: Setting) -> float:
    """c = sigma_e sqrt(1 - rho^2): the innovation's standard deviation per exogenous direction."""
    return s.sigma * math.sqrt(max(1.0 - s.rho ** 2, 0.0))


def mask_weight_root(s: Setting, env: dict) -> np.ndarray:
    """W^1/2 = I - (1 - sqrt(beta)) M M^T [d_o, d_o] (M: the masked directions, orthonormal)."""
    p, x = env["noise_map"], env["action_effect"]
    cover = s.d_b if s.mask_cover is None else s.mask_cover
    m = np.concatenate([p[:, :cover], x[:, :s.mask_leak]], axis=1)
    return np.eye(p.shape[0]) - (1.0 - math.sqrt(s.mask_weight)) * m @ m.T


def blocks(s: Setting, env: dict) -> dict:
    """Loadings on the standard sources (g [d_o], e [d_b], a [d_a], xi [d_b]) of o, o' and
    Delta = o' - o on the interventional distribution: name -> list of 4 arrays [d_o, .]."""
    p, x = env["noise_map"], env["action_effect"]
    d_o, d_a, d_b = x.shape[0], x.shape[1], p.shape[1]
    c = innovation_scale(s)
    u = np.eye(d_o) - p @ p.T
    zero_b, zero_a = np.zeros((d_o, d_b)), np.zeros((d_o, d_a))
    obs = [u, s.sigma * p, zero_a, zero_b]
    change = [np.zeros((d_o, d_o)), s.sigma * (s.rho - 1.0) * p, x, c * p]
    return {"obs": obs, "next": [o + dl for o, dl in zip(obs, change)], "change": change}


def latent_blocks(s: Setting, params: dict, env: dict) -> list:
    """The latent ``s.latent`` reads ('true': z = C o + D o'; 'surrogate': B^+ (A - I) o + B^+ B z)
    as loadings on (g, e, a, xi). params: float64 A, B, C, D at the setting's own sizes."""
    b = blocks(s, env)
    c, d = full_idm(params["C"], params["D"])
    z = [c @ o + d @ n for o, n in zip(b["obs"], b["next"])]
    if s.latent == "true":
        return z
    pinv = np.linalg.pinv(params["B"])
    shift, proj = pinv @ a_minus_i(params), pinv @ params["B"]
    return [shift @ o + proj @ zl for o, zl in zip(b["obs"], z)]


def terms(s: Setting, latent: list, env: dict, ridge: float) -> dict:
    """LLO, its three terms and nMSE(e | l) of a latent given as loadings on (g, e, a, xi)."""
    cov = sum(w @ w.T for w in latent)
    obs = blocks(s, env)["obs"]
    g, e, a, xi = latent
    nmse_obs = probe_nmse(cov, sum(w @ o.T for w, o in zip(latent, obs)), float(sum(np.sum(o ** 2) for o in obs)),
                          ridge)
    nmse_action = probe_nmse(cov, a, float(a.shape[1]), ridge)
    nmse_state = probe_nmse(cov, e, float(e.shape[1]), ridge)
    nmse_noise = probe_nmse(cov, xi, float(xi.shape[1]), ridge) if innovation_scale(s) > 0 else 1.0
    return {"llo": -nmse_action + nmse_noise + nmse_obs, "nmse_action": nmse_action, "nmse_noise": nmse_noise,
            "nmse_obs": nmse_obs, "nmse_state": nmse_state}


def population_loss(s: Setting, params: dict, env: dict) -> float:
    """The per-coordinate (weighted) reconstruction loss on the training distribution, no augmentation."""
    x, pi, p = env["action_effect"], env["policy_map"], env["noise_map"]
    b = blocks(s, env)
    c, d = full_idm(params["C"], params["D"])
    a_full = a_minus_i(params) + np.eye(x.shape[0])
    # Training sources (g, e, s, xi): a = chi Pi o + (1 - chi) s.
    act = [s.chi * pi @ o for o in b["obs"]]
    act[2] = act[2] + (1.0 - s.chi) * np.eye(x.shape[1])
    nxt = [o + x @ ac + dl for o, ac, dl in zip(b["obs"], act, [0.0, s.sigma * (s.rho - 1.0) * p, 0.0,
                                                                  innovation_scale(s) * p])]
    w = mask_weight_root(s, env)
    resid = [w @ (n - a_full @ o - params["B"] @ (c @ o + d @ n)) for o, n in zip(b["obs"], nxt)]
    return float(sum(np.sum(r ** 2) for r in resid) / x.shape[0])


def residual_covariance(s: Setting, env: dict) -> np.ndarray:
    """W^1/2 Cov W^1/2 [d_o, d_o] of what the FDM cannot predict: r with A learned, Delta with A = I."""
    x, pi, p = env["action_effect"], env["policy_map"], env["noise_map"]
    c = innovation_scale(s)
    cov = (1.0 - s.chi) ** 2 * x @ x.T + c ** 2 * p @ p.T
    if not s.learn_a:
        k = s.chi * x @ pi + (s.rho - 1.0) * p @ p.T
        sigma_o = np.eye(x.shape[0]) + (s.sigma ** 2 - 1.0) * p @ p.T
        cov = cov + k @ sigma_o @ k.T
    w = mask_weight_root(s, env)
    return w @ cov @ w


def principal_directions(s: Setting, env: dict) -> np.ndarray:
    """U [d_o, d_z]: top-d_z eigenvectors of :func:`residual_covariance` (ties: the solver's order)."""
    values, vectors = np.linalg.eigh(residual_covariance(s, env))
    return vectors[:, np.argsort(-values, kind="stable")[:s.d_z]]


def theory_metrics(s: Setting, env: dict, ridge: float) -> dict:
    """pca_floor and the optimal latent's theory_llo, theory_nmse_{action,noise,obs,state} of ``s``
    (env: the seed's padded float64 environment); NaN where the closed form does not apply."""
    env = unpadded_env(s, env)
    values, vectors = np.linalg.eigh(residual_covariance(s, env))
    order = np.argsort(-values, kind="stable")
    values, vectors = values[order], vectors[:, order]
    out = {"pca_floor": float(np.sum(values[s.d_z:]) / values.size)}
    nan = {k: math.nan for k in ("theory_llo", "theory_nmse_action", "theory_nmse_noise", "theory_nmse_obs",
                                 "theory_nmse_state")}
    # beta = 0: the FDM's rows in the masked directions are free, and so is what the surrogate reads there.
    if s.label_rate > 0 or s.kappa > 0 or s.chi >= 1.0 or (s.mask_active and s.mask_weight == 0):
        return {**out, **nan}
    w = mask_weight_root(s, env)
    change = blocks(s, env)["change"]
    level, tol = values[s.d_z - 1], _TIE_RTOL * max(1.0, float(values[0]))
    fixed = vectors[:, values > level + tol]
    tied = vectors[:, np.abs(values - level) <= tol]
    need = s.d_z - fixed.shape[1]
    choices = [np.eye(tied.shape[1])[:, :need]]
    if tied.shape[1] > need:
        choices.append(np.linalg.qr(np.random.default_rng(0).standard_normal((tied.shape[1], need)))[0])
        for sub in (env["action_effect"], env["noise_map"]):
            left = np.linalg.svd(tied.T @ sub, full_matrices=True)[0]
            choices += [left[:, :need], left[:, -need:]]
    found = []
    for chosen in choices:
        u = np.concatenate([fixed, tied @ chosen], axis=1)
        found.append(terms(s, [u.T @ w @ dl for dl in change], env, ridge))
    if max(t["llo"] for t in found) - min(t["llo"] for t in found) > _LLO_ATOL:
        return {**out, **nan}
    return {**out, **{f"theory_{k}": v for k, v in found[0].items()}}


def evaluate_run(s: Setting, params, env: dict, ridge: float, theory_part: dict = None) -> dict:
    """Every metric of one trained run in the exogenous-state world (the keys of
    :func:`lamsim.linear.evaluate.evaluate_run` plus :data:`STATE_METRICS`). params: padded float32
    :class:`~lamsim.linear.model.Params` of one (seed, setting); env: the seed's padded float64
    environment (P orthogonal to X). ``dy_ratio`` is ||D P||_F / ||D||_F (the IDM's read of o' in the
    exogenous directions)."""
    params = {k: np.asarray(v, np.float64) for k, v in unpadded_params(s, params).items()}
    params["C"], params["D"] = full_idm(params["C"], params["D"])
    unpadded = unpadded_env(s, env)
    latent = latent_blocks(s, params, unpadded)
    read, read0 = terms(s, latent, unpadded, ridge), terms(s, latent, unpadded, 0.0)
    shift, d = a_minus_i(params), params["D"]
    d_norm = np.linalg.norm(d)
    return {
        **read, "llo_ridge0": read0["llo"], "loss": population_loss(s, params, unpadded),
        "alignment": subspace_alignment(params["B"], unpadded["action_effect"]),
        "a_minus_i": float(np.linalg.norm(shift) / math.sqrt(shift.shape[0])),
        "c_plus_d": float(np.linalg.norm(params["C"] + d)),
        "dy_ratio": float(np.linalg.norm(d @ unpadded["noise_map"]) / d_norm) if d_norm > 0 else math.nan,
        **(theory_metrics(s, env, ridge) if theory_part is None else theory_part),
    }


def exact_llo(s: Setting, params, env: dict, ridge: float) -> float:
    """The LLO of one run (padded params, the seed's padded env), as :func:`evaluate_run` reads it."""
    p = {k: np.asarray(v, np.float64) for k, v in unpadded_params(s, params).items()}
    p["C"], p["D"] = full_idm(p["C"], p["D"])
    unpadded = unpadded_env(s, env)
    return terms(s, latent_blocks(s, p, unpadded), unpadded, ridge)["llo"]


def subspace_params(s: Setting, env: dict, u: np.ndarray) -> dict:
    """A starting point for the numerical optimum: z = U^T (o' - T o), the FDM T o + U z (A = I:
    z = U^T Delta). float64, the setting's own sizes; env unpadded."""
    x, pi, p = env["action_effect"], env["policy_map"], env["noise_map"]
    d_o = x.shape[0]
    t = np.eye(d_o) + s.chi * x @ pi + (s.rho - 1.0) * p @ p.T if s.learn_a else np.eye(d_o)
    a = t if s.learn_a else np.zeros((0, 0))
    if s.idm == "difference":
        if s.learn_a:
            a = t - u @ (u.T @ (t - np.eye(d_o)))
        return {"A": a, "B": u, "C": u.T, "D": np.zeros((0, 0))}
    return {"A": a, "B": u, "C": -u.T @ t, "D": u.T}
