"""Exact, closed-form evaluation of a trained linear LAM, in float64 (SPEC sections 4, 5).

Every latent is linear in independent standard sources,
``l = L_o o + L_a a + L_e e`` (eps = G_e e), so a linear probe's error has a
closed form. The probe is least squares with a ridge
``delta * tr(Cov(l)) / dim(l) * I`` (``delta = 0`` uses the pseudo-inverse); we
report the population error of that probe, so the numbers are what an infinitely
long probe fit with the same ridge would give.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

DEFAULT_RIDGE = 1e-4


class Noise(NamedTuple):
    """The exogenous noise eps = G_e e of a setting, e ~ N(0, I).

    kind 'none' | 'iid' (G_e = sigma I_{d_o}) | 'exo' (G_e = sigma Y, Y [d_o, d_b]).
    G_e is a scaled isometry, so a probe predicts eps exactly as well as e.
    """

    kind: str
    sigma: float
    noise_map: Optional[np.ndarray] = None

    def load(self, m: np.ndarray) -> np.ndarray:
        """``m @ G_e`` for ``m`` [k, d_o]."""
        if self.kind == "iid":
            return self.sigma * m
        return self.sigma * (m @ self.noise_map)

    def covariance(self, m: np.ndarray) -> np.ndarray:
        """``m @ Cov(eps) @ m.T`` for ``m`` [k, d_o]."""
        loaded = self.load(m)
        return loaded @ loaded.T

    @property
    def active(self) -> bool:
        return self.kind != "none" and self.sigma > 0


class Terms(NamedTuple):
    """LLO = -nmse_action + nmse_noise + nmse_obs (2 ideal, -1 worst)."""

    llo: float
    nmse_action: float
    nmse_noise: float
    nmse_obs: float


def probe_nmse(cov: np.ndarray, cross: np.ndarray, target_var: float, ridge: float) -> float:
    """Normalised error of the ridge least-squares probe from l to y.

    cov: [k, k] Cov(l); cross: [k, m] Cov(l, y); target_var: tr Cov(y).
    The probe is W = (cov + ridge * tr(cov)/k * I)^-1 cross (pseudo-inverse
    when ridge = 0) and the error E||y - W^T l||^2 / tr Cov(y).
    """
    k = cov.shape[0]
    scale = np.trace(cov) / k if k else 0.0
    if ridge > 0 and scale > 0:
        w = np.linalg.solve(cov + ridge * scale * np.eye(k), cross)
    else:
        w = np.linalg.pinv(cov, hermitian=True) @ cross
    err = target_var - 2.0 * np.sum(cross * w) + np.sum(w * (cov @ w))
    return float(err / target_var)


def latent_terms(load_obs: np.ndarray, load_action: np.ndarray, load_noise: Optional[np.ndarray],
                 noise: Noise, ridge: float = DEFAULT_RIDGE) -> Terms:
    """LLO terms of the latent l = L_o o + L_a a + L_eps eps.

    load_obs: [k, d_o] L_o; load_action: [k, d_a] L_a; load_noise: [k, d_o]
    L_eps (ignored without noise, where nMSE(eps | l) := 1).
    """
    d_o, d_a = load_obs.shape[1], load_action.shape[1]
    cov = load_obs @ load_obs.T + load_action @ load_action.T
    nmse_noise = 1.0
    if noise.active:
        load_src = noise.load(load_noise)  # Cov(l, e), e the unit noise source
        cov = cov + load_src @ load_src.T
    nmse_action = probe_nmse(cov, load_action, float(d_a), ridge)
    nmse_obs = probe_nmse(cov, load_obs, float(d_o), ridge)
    if noise.active:
        nmse_noise = probe_nmse(cov, load_src, float(load_src.shape[1]), ridge)
    return Terms(-nmse_action + nmse_noise + nmse_obs, nmse_action, nmse_noise, nmse_obs)


def true_latent_loadings(params: dict, action_effect: np.ndarray):
    """z = C o + D o' with o' = o + X a + eps: (L_o, L_a, L_eps) = (C + D, D X, D)."""
    c, d = params["C"], params["D"]
    return c + d, d @ action_effect, d


def surrogate_latent_loadings(params: dict, action_effect: np.ndarray):
    """z_s = B^+ (o'_hat - o) = B^+ (A - I) o + B^+ B z (SPEC section 4)."""
    a, b = params["A"], params["B"]
    b_pinv = np.linalg.pinv(b)
    proj = b_pinv @ b
    l_o, l_a, l_e = true_latent_loadings(params, action_effect)
    return b_pinv @ (a - np.eye(a.shape[0])) + proj @ l_o, proj @ l_a, proj @ l_e


def population_loss(params: dict, env: dict, chi: float, noise: Noise) -> float:
    """Exact per-coordinate reconstruction loss on the training distribution (no augmentation).

    With T = I + chi X Pi, o' = T o + (1 - chi) X s + eps and
    o' - o'_hat = [(I - B D) T - A - B C] o + (1 - chi)(I - B D) X s + (I - B D) eps.
    """
    a, b, c, d = params["A"], params["B"], params["C"], params["D"]
    x, pi = env["action_effect"], env["policy_map"]
    d_o = a.shape[0]
    keep = np.eye(d_o) - b @ d
    m_obs = keep + chi * (keep @ x) @ pi - a - b @ c
    total = np.sum(m_obs ** 2) + (1.0 - chi) ** 2 * np.sum((keep @ x) ** 2)
    if noise.active:
        total += np.sum(noise.load(keep) ** 2)
    return float(total / d_o)


def subspace_alignment(b: np.ndarray, action_effect: np.ndarray) -> float:
    """||Q_B^T X||_F^2 / d_a: the share of the action subspace that span(B) holds."""
    u, s, _ = np.linalg.svd(b, full_matrices=False)
    basis = u[:, s > s.max(initial=0.0) * max(b.shape) * np.finfo(float).eps]
    return float(np.sum((basis.T @ action_effect) ** 2) / action_effect.shape[1])


class Evaluation(NamedTuple):
    terms: Terms
    terms_ridge0: Terms  # the same latent's terms with delta = 0 (SPEC section 4 asks to show both)
    loss: float
    alignment: float
    a_minus_i: float
    c_plus_d: float
    dy_ratio: float


def evaluate(params: dict, env: dict, chi: float, noise: Noise, latent: str,
             ridge: float = DEFAULT_RIDGE) -> Evaluation:
    """All trained-model numbers of one run (float64, unpadded shapes).

    params: A [d_o, d_o], B [d_o, d_z], C, D [d_z, d_o]; env: action_effect
    [d_o, d_a], policy_map [d_a, d_o], noise_map [d_o, d_b]. ``dy_ratio`` is
    ||D Y||_F / ||D||_F for other-agent noise, NaN otherwise.
    """
    params = {k: np.asarray(v, np.float64) for k, v in params.items()}
    x = env["action_effect"]
    loadings = (true_latent_loadings if latent == "true" else surrogate_latent_loadings)(params, x)
    d = params["D"]
    d_norm = np.linalg.norm(d)
    dy_ratio = math.nan
    if noise.kind == "exo" and d_norm > 0:
        dy_ratio = float(np.linalg.norm(d @ env["noise_map"]) / d_norm)
    return Evaluation(
        terms=latent_terms(*loadings, noise, ridge),
        terms_ridge0=latent_terms(*loadings, noise, 0.0),
        loss=population_loss(params, env, chi, noise),
        alignment=subspace_alignment(params["B"], x),
        a_minus_i=float(np.linalg.norm(params["A"] - np.eye(params["A"].shape[0])) / math.sqrt(params["A"].shape[0])),
        c_plus_d=float(np.linalg.norm(params["C"] + d)),
        dy_ratio=dy_ratio,
    )
