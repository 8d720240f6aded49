"""Linear probes in closed form (paper eq. 6), in float64.

Every latent is linear in independent standard sources,
``l = L_o o + L_a a + L_e e`` (eps = G_e e), so a linear probe's error has a
closed form. The probe is least squares with a ridge
``delta * tr(Cov(l)) / dim(l) * I`` (``delta = 0`` uses the pseudo-inverse); we
report the population error of that probe, so the numbers are what an infinitely
long probe fit with the same ridge would give.

A :class:`Protocol` says where the probe is fitted and what the action probe
predicts (docs/method.md Sec. 6.5-6.6). The score is always taken on the
interventional distribution (o ~ N(0, I), a ~ N(0, I_{d_a}) independent of o):

* ``interventional``: fitted there too;
* ``policy-fit``: fitted on the training distribution, where
  a = chi Pi o + (1 - chi) s (paper Sec. 4.2), as the authors' released script
  for the chi panel does. The probe may then read part of the action from o,
  which stops working once the action is intervened on;
* ``noise-free``: fitted on the training distribution (noise included) and
  scored where o' holds no noise, the noise target a fresh draw independent of
  the latent (the authors' Figure 3 middle script). A probe of a fitted on
  z = a + n shrinks by 1 / (1 + Var n); scored on z = a its error is
  (Var n / (1 + Var n))^2 per unit of action variance.

and the action target is a (``action``) or X^+ (q + eps) = a + X^T eps
(``subspace``, the newest released script for the i.i.d. panel: noise inside
the action subspace counts as action).
"""
from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np

DEFAULT_RIDGE = 1e-4


class Noise(NamedTuple):
    """The exogenous noise eps = G_e e of a setting, e ~ N(0, I).

    kind 'none' | 'iid' (G_e = sigma I_{d_o}) | 'exo' (G_e = sigma Y, Y [d_o, d_b]).
    G_e is a scaled isometry, so a probe predicts eps exactly as well as e.
    ``dist`` 'uniform' (i.i.d. only): eps = sigma u, u ~ U[0, 1) per coordinate,
    so G_e = sigma / sqrt(12) I and eps has mean sigma / 2 (:attr:`mean`); the
    probes' bias absorbs a mean, so only the covariance enters them.
    """

    kind: str
    sigma: float
    noise_map: Optional[np.ndarray] = None
    dist: str = "gaussian"

    @property
    def scale(self) -> float:
        """The standard deviation of each noise source: sigma, or sigma / sqrt(12) (uniform)."""
        return self.sigma / np.sqrt(12.0) if self.dist == "uniform" else self.sigma

    @property
    def mean(self) -> float:
        """The mean of each coordinate of eps (sigma / 2 for uniform noise, else 0)."""
        return 0.5 * self.sigma if self.dist == "uniform" else 0.0

    def load(self, m: np.ndarray) -> np.ndarray:
        """``m @ G_e`` for ``m`` [k, d_o]."""
        if self.kind == "iid":
            return self.scale * m
        return self.sigma * (m @ self.noise_map)

    def covariance(self, m: np.ndarray) -> np.ndarray:
        """``m @ Cov(eps) @ m.T`` for ``m`` [k, d_o]."""
        loaded = self.load(m)
        return loaded @ loaded.T

    @property
    def active(self) -> bool:
        return self.kind != "none" and self.sigma > 0


class Protocol(NamedTuple):
    """How the probes are fitted and what the action probe predicts.

    probe: 'interventional' | 'policy-fit' | 'noise-free'; action_target: 'action' | 'subspace'.
    ``chi`` and ``policy_map`` Pi [d_a, d_o] describe the training policy
    a = chi Pi o + (1 - chi) s (the fitting distribution of 'policy-fit' and
    'noise-free'); ``action_effect``
    X [d_o, d_a] is needed by the 'subspace' target when there is noise.
    """

    probe: str = "interventional"
    action_target: str = "action"
    chi: float = 0.0
    policy_map: Optional[np.ndarray] = None
    action_effect: Optional[np.ndarray] = None

    @staticmethod
    def of(probe: str, action_target: str, chi: float, env: dict) -> "Protocol":
        """The protocol of a run: env holds ``policy_map`` [d_a, d_o] and ``action_effect`` [d_o, d_a]."""
        return Protocol(probe, action_target, chi, env["policy_map"], env["action_effect"])


#: Today's default: fitted and scored where a varies on its own; the target is a.
INTERVENTIONAL = Protocol()


class Terms(NamedTuple):
    """LLO = -nmse_action + nmse_noise + nmse_obs (2 ideal, -1 worst)."""

    llo: float
    nmse_action: float
    nmse_noise: float
    nmse_obs: float


class Moments(NamedTuple):
    """Second moments of a latent and the probe targets on one distribution.

    cov: [k, k] Cov(l); action, obs, noise: [k, d_a], [k, d_o], [k, d_e]
    Cov(l, y) for y = the action target, o and the unit noise source e
    (``noise`` is None without noise).
    """

    cov: np.ndarray
    action: np.ndarray
    obs: np.ndarray
    noise: Optional[np.ndarray]


def probe_error(fit_cov: np.ndarray, fit_cross: np.ndarray, score_cov: np.ndarray, score_cross: np.ndarray,
                target_var: float, ridge: float) -> float:
    """Normalised error of a ridge least-squares probe fitted on one distribution, scored on another.

    fit_cov, score_cov: [k, k] Cov(l); fit_cross, score_cross: [k, m] Cov(l, y);
    target_var: tr Cov(y) on the scoring distribution. The probe is
    W = (fit_cov + ridge * tr(fit_cov)/k * I)^-1 fit_cross (pseudo-inverse when
    ridge = 0): the ridge scales with the fitting distribution's latent, as a
    probe fitted on its samples would. Its error on the scoring distribution is
    E||y - W^T l||^2 = tr Cov(y) - 2 tr(W^T Cov(l, y)) + tr(W^T Cov(l) W),
    returned divided by tr Cov(y).
    """
    k = fit_cov.shape[0]
    scale = np.trace(fit_cov) / k if k else 0.0
    if ridge > 0 and scale > 0:
        w = np.linalg.solve(fit_cov + ridge * scale * np.eye(k), fit_cross)
    else:
        w = np.linalg.pinv(fit_cov, hermitian=True) @ fit_cross
    err = target_var - 2.0 * np.sum(score_cross * w) + np.sum(w * (score_cov @ w))
    return float(err / target_var)


def probe_nmse(cov: np.ndarray, cross: np.ndarray, target_var: float, ridge: float) -> float:
    """Normalised error of the ridge least-squares probe from l to y, fitted and
    scored on the same distribution.

    cov: [k, k] Cov(l); cross: [k, m] Cov(l, y); target_var: tr Cov(y).
    The probe is W = (cov + ridge * tr(cov)/k * I)^-1 cross (pseudo-inverse
    when ridge = 0) and the error E||y - W^T l||^2 / tr Cov(y).
    """
    return probe_error(cov, cross, cov, cross, target_var, ridge)


def _moments(load_obs: np.ndarray, load_action: np.ndarray, load_src: Optional[np.ndarray],
             target_src: Optional[np.ndarray], target_obs: Optional[np.ndarray],
             target_action: float, noise_in_latent: bool = True) -> Moments:
    """Moments of l = L_o o + L_a u + L_s e when the action target is
    y = T_o o + t u + T_s e, for independent standard o [d_o], u [d_a], e [d_e].

    load_*: the latent's loadings [k, .]; target_src: T_s [d_a, d_e] (None: 0);
    target_obs: T_o [d_a, d_o] (None: 0); target_action: the scalar t.
    ``noise_in_latent=False``: the latent does not see e (o' without noise)
    while the targets still hold their own, independent draw of it.
    """
    cov = load_obs @ load_obs.T + load_action @ load_action.T
    # Cov(l, y) = L_o T_o^T + t L_a + L_s T_s^T
    action = load_action if target_action == 1.0 else target_action * load_action
    if target_obs is not None:
        action = action + load_obs @ target_obs.T
    if load_src is not None and not noise_in_latent:
        return Moments(cov, action, load_obs, np.zeros_like(load_src))
    if load_src is not None:
        cov = cov + load_src @ load_src.T
        if target_src is not None:
            action = action + load_src @ target_src.T
    return Moments(cov, action, load_obs, load_src)


def latent_terms(load_obs: np.ndarray, load_action: np.ndarray, load_noise: Optional[np.ndarray],
                 noise: Noise, ridge: float = DEFAULT_RIDGE, protocol: Protocol = INTERVENTIONAL,
                 obs_loadings: Optional[tuple] = None) -> Terms:
    """LLO terms (paper eq. 6) of the latent l = L_o o + L_a a + L_eps eps.

    load_obs: [k, d_o] L_o; load_action: [k, d_a] L_a; load_noise: [k, d_o]
    L_eps (ignored without noise, where nMSE(eps | l) := 1). The loadings are
    the latent's response to the sources on the interventional distribution;
    ``protocol`` says where the probes are fitted and what the action probe
    predicts. ``obs_loadings`` (L_o, L_a, L_eps) of another latent: the o and
    noise probes read that one (the authors' Figure 4 left script reads the
    action from o'_hat - o and o from z); None: the same latent.

    Scoring distribution (o, a, e independent): Cov(l) = L_o L_o^T + L_a L_a^T
    + L_s L_s^T with L_s = L_eps G_e, and Cov(l, a) = L_a, Cov(l, o) = L_o,
    Cov(l, e) = L_s. Under 'policy-fit' and 'noise-free' the probes are fitted
    on the training distribution, where a = chi Pi o + (1 - chi) s, so l loads
    L_o + chi L_a Pi on o and (1 - chi) L_a on s, and the action itself loads
    chi Pi on o and (1 - chi) I on s. Under 'noise-free' the scoring latent
    has L_s = 0 and the noise target is independent of it.

    The 'subspace' target is y = X^T (X a + eps) = a + X^T G_e e: its extra
    cross-moment is L_s (X^T G_e)^T and tr Cov(y) = d_a + ||X^T G_e||_F^2 (the
    total variance of the target, as the script normalises). nMSE(eps | l) and
    nMSE(o | l) keep their meaning: the noise inside the action subspace is
    then both action (the action term rewards holding it) and noise (the noise
    term charges for it), which is what the script computes; at the i.i.d.
    optimum with d_z = d_a the noise term is 1 - d_a sigma^2 / ((1 + sigma^2) d_o).
    """
    d_o, d_a = load_obs.shape[1], load_action.shape[1]
    if protocol.probe in ("policy-fit", "noise-free") and protocol.policy_map is None:
        raise ValueError(f"protocol probe={protocol.probe!r} needs the policy map Pi")
    if protocol.action_target == "subspace" and noise.active and protocol.action_effect is None:
        raise ValueError("protocol action_target='subspace' needs the action effect X")
    target_src = None
    target_var = float(d_a)
    if protocol.action_target == "subspace" and noise.active:
        target_src = noise.load(protocol.action_effect.T)  # X^T G_e [d_a, d_e]
        target_var += float(np.sum(target_src ** 2))

    def fit_and_score(loadings):
        l_o, l_a, l_eps = loadings
        load_src = noise.load(l_eps) if noise.active else None  # Cov(l, e), e the unit noise source
        score = _moments(l_o, l_a, load_src, target_src, None, 1.0, protocol.probe != "noise-free")
        if protocol.probe == "interventional":
            return score, score
        chi = protocol.chi
        fit = _moments(l_o + chi * (l_a @ protocol.policy_map), (1.0 - chi) * l_a, load_src,
                       target_src, chi * protocol.policy_map, 1.0 - chi)
        return fit, score

    fit, score = fit_and_score((load_obs, load_action, load_noise))
    nmse_action = probe_error(fit.cov, fit.action, score.cov, score.action, target_var, ridge)
    if obs_loadings is not None:
        fit, score = fit_and_score(obs_loadings)
    nmse_obs = probe_error(fit.cov, fit.obs, score.cov, score.obs, float(d_o), ridge)
    nmse_noise = 1.0
    if noise.active:
        nmse_noise = probe_error(fit.cov, fit.noise, score.cov, score.noise, float(fit.noise.shape[1]), ridge)
    return Terms(-nmse_action + nmse_noise + nmse_obs, nmse_action, nmse_noise, nmse_obs)
