"""Beyond pixels, the exact theory: the optimum of a linear LAM that reads a frozen feature map and a
multi-step window is a reduced-rank regression (docs/method.md Sec. 18), read by exact probes (float64).

The LAM reads f_t = F o_t and f_k = F o_{t+k}, and predicts y = F o_target (o_{t+1} or o_{t+k}) as
y_hat = A f_t + B z. Every vector is Gaussian and linear in the window's sources
(:mod:`lamsim.linear.window`), so write each as its part predictable from f_t plus an independent rest:

* **A learned, full IDM** z = C f_t + D f_k. A absorbs every function of f_t, so the loss is
  E||R - B D S||^2 with R = y - E[y | f_t] and S = f_k - E[f_k | f_t]: a reduced-rank regression of R on
  S. With K = Cov(R, S) Cov(S)^+ and U the top-d_z eigenvectors of K Cov(S) K^T, the optimum has
  B D S = U U^T K S and its surrogate latent B^+ (y_hat - f_t) is, up to an invertible map,
  U^T (E[y | f_t] - f_t + K S). One step (k = 1, target o_{t+1}) and F = I is the paper's PCA on the
  frame change (Prop. 4.1): K = I on range(Cov S). With a frozen map it is PCA in feature space.
* **A learned, difference IDM** z = C (f_k - f_t): the same regression on the rest of f_k - f_t (A
  absorbs the part predictable from f_t); its true latent is U^T K (f_k - f_t).
* **A fixed to I** y_hat = f_t + B z: a reduced-rank regression of y - f_t on the IDM's whole input,
  [f_t; f_k] (full) or f_k - f_t (difference); either latent is U^T K times that input.

Undefined (NaN) where the optimum does not pin the latent the probes read: the true latent of the full
IDM with A learned (C + D is free, paper Sec. 4.1), labels or augmentation (they change the
objective), and a tie at the d_z-th eigenvalue.
"""
from __future__ import annotations

import math

import numpy as np

from lamsim.linear.probes import probe_nmse
from lamsim.linear.settings import Setting
from lamsim.linear.window import Window

_TIE_RTOL = 1e-9


def row_basis(m: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """An orthonormal basis [r, n] of the row space of ``m`` [k, n] (singular values above rtol * max)."""
    if m.size == 0:
        return np.zeros((0, m.shape[1]))
    _, sv, vt = np.linalg.svd(m, full_matrices=False)
    return vt[sv > rtol * max(sv.max(initial=0.0), 1e-300)]


def _pinv(cov: np.ndarray) -> np.ndarray:
    return np.linalg.pinv(cov, rcond=1e-10, hermitian=True)


def reduced_rank(target: np.ndarray, inputs: np.ndarray, rank: int):
    """The best rank-``rank`` linear maps from ``inputs`` [p, n] to ``target`` [q, n] (loadings on unit
    sources): ([U [q, rank], ...], K [q, p]) with each optimum U U^T K. K = Cov(target, inputs)
    Cov(inputs)^+, U the top eigenvectors of the explained covariance K Cov(inputs) K^T. One U, or two
    where the rank-th and next eigenvalues tie (the tied eigenvectors taken in one order and the
    reverse: the optimum is then not unique)."""
    k = (target @ inputs.T) @ _pinv(inputs @ inputs.T)
    explained = k @ (inputs @ inputs.T) @ k.T
    values, vectors = np.linalg.eigh((explained + explained.T) / 2)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    choices = [vectors[:, :rank]]
    if rank < values.size and values[rank - 1] > 0 and \
            abs(values[rank - 1] - values[rank]) <= _TIE_RTOL * max(abs(values[0]), 1e-300):
        tie = np.flatnonzero(np.abs(values - values[rank - 1]) <= _TIE_RTOL * abs(values[0]))
        other = vectors.copy()
        other[:, tie] = vectors[:, tie[::-1]]
        choices.append(other[:, :rank])
    return choices, k


def optimal_latents(s: Setting, win: Window, feature: np.ndarray, target_map: np.ndarray = None) -> list:
    """The latent ``s.latent`` at the optimum, as loadings [d_z, n] on the window's sources: one, or
    two where a tie leaves the optimum not unique; [] where the theory does not pin it (module
    docstring). feature: F [d_r, d_o] (what the IDM and the FDM's input read); target_map: what the
    FDM's target reads (default F)."""
    target_map = feature if target_map is None else target_map
    if s.label_rate > 0 or s.kappa > 0:
        return []
    f_t, f_k, y = feature @ win.obs, feature @ win.idm_next, target_map @ win.target
    if not s.learn_a:
        inputs = f_k - f_t if s.idm == "difference" else np.concatenate([f_t, f_k])
        choices, k = reduced_rank(y - f_t, inputs, s.d_z)
        return [u.T @ k @ inputs for u in choices]
    if s.latent == "true" and s.idm == "full":
        return []
    basis = row_basis(f_t)

    def rest(m):
        return m - (m @ basis.T) @ basis

    inputs = rest(f_k - f_t) if s.idm == "difference" else rest(f_k)
    choices, k = reduced_rank(rest(y), inputs, s.d_z)
    if s.latent == "true":
        return [u.T @ k @ (f_k - f_t) for u in choices]
    return [u.T @ ((y @ basis.T) @ basis - f_t + k @ inputs) for u in choices]


def terms(latent: np.ndarray, win: Window, ridge: float) -> dict:
    """The LLO (paper eq. 6) of a latent given as loadings [m, n]: -nMSE(a_t | l) + nMSE(noise_t | l) +
    nMSE(o_t | l), closed-form ridge probes (:func:`lamsim.linear.probes.probe_nmse`) on the window's
    interventional distribution; nMSE(noise | l) := 1 without noise (or when its source never moves
    the frames, exogenous state at rho = 1)."""
    cov = latent @ latent.T
    obs_var = float(np.sum(win.obs ** 2))
    nmse_obs = probe_nmse(cov, latent @ win.obs.T, obs_var, ridge)
    nmse_action = probe_nmse(cov, latent @ win.action.T, float(win.action.shape[0]), ridge)
    nmse_noise = 1.0
    if win.noise.shape[0] and np.any(np.abs(win.noise @ win.idm_next.T) > 0):
        nmse_noise = probe_nmse(cov, latent @ win.noise.T, float(win.noise.shape[0]), ridge)
    return {"llo": -nmse_action + nmse_noise + nmse_obs, "nmse_action": nmse_action, "nmse_noise": nmse_noise,
            "nmse_obs": nmse_obs}


NAN_TERMS = {"llo": math.nan, "nmse_action": math.nan, "nmse_noise": math.nan, "nmse_obs": math.nan}


def theory_terms(s: Setting, win: Window, feature: np.ndarray, ridge: float, target_map: np.ndarray = None) -> dict:
    """:func:`terms` of the optimal latent (:func:`optimal_latents`); NaN where it is undefined, or
    where a tie leaves optima whose LLO differs by more than 1e-6."""
    found = [terms(latent, win, ridge) for latent in optimal_latents(s, win, feature, target_map)]
    if not found or abs(found[0]["llo"] - found[-1]["llo"]) > 1e-6:
        return dict(NAN_TERMS)
    return found[0]


def latent_distance(first: np.ndarray, second: np.ndarray) -> float:
    """1 - the mean squared canonical correlation of two Gaussian latents given as loadings [m, n] on
    the same sources (over the smaller one's rank): 0 when they hold the same information, 1 when
    they share none; any invertible map of either leaves it unchanged."""
    q1, q2 = row_basis(first), row_basis(second)
    rank = min(q1.shape[0], q2.shape[0])
    if rank == 0:
        return math.nan
    return float(1.0 - np.sum((q1 @ q2.T) ** 2) / rank)
