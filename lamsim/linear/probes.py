"""Linear probes in closed form (paper eq. 6), in float64.

Every latent is linear in independent standard sources,
``l = L_o o + L_a a + L_e e`` (eps = G_e e), so a linear probe's error has a
closed form. The probe is least squares with a ridge
``delta * tr(Cov(l)) / dim(l) * I`` (``delta = 0`` uses the pseudo-inverse); we
report the population error of that probe, so the numbers are what an infinitely
long probe fit with the same ridge would give.
"""
from __future__ import annotations

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
