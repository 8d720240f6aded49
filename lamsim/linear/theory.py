"""The PCA theory (paper Prop. 4.1, 4.2): the PCA floor and the PCA-optimal latent.

The FDM can predict E[o' | o] = (I + chi X Pi) o, so the latent has to explain
the residual r = (1 - chi) X s + eps, whose covariance is
Sigma_r = F F^T + sigma_iid^2 I with F = [(1 - chi) X, sigma_exo Y]. Linear LAM
training is PCA on r (Prop. 4.1, 4.2): the best per-coordinate loss is the sum
of the eigenvalues of Sigma_r beyond the top d_z, divided by d_o, and at the
optimum the surrogate latent is U^T (X a + eps), U the top-d_z eigenvectors
(up to an invertible map, which no probe sees).

Why the surrogate holds no o at the optimum, for any chi < 1: the optimum has
B D = U U^T on range(Sigma_r) and A = I + chi X Pi - B (C + D + chi D X Pi)
(the FDM predicts E[o' | o]; C + D is free, the over-parametrisation of paper
Sec. 4.1). The surrogate z_s = B^+ (A - I) o + B^+ B z then loads
chi B^+ (I - B D) X Pi = chi (B^+ - D) X Pi = 0 on o, since X lies in
range(Sigma_r) when chi < 1. Its interventional loadings are (0, U^T X, U^T);
on the training data it reads U^T (chi X Pi o + (1 - chi) X s + eps), the whole
predicted change. The true latent has no such pin without augmentation: the
representative equal to U^T (o' - E[o' | o]) on the training data loads
-chi U^T X Pi on o, but any other o-loading that A cancels is as optimal.

The difference IDM z = C (o' - o) (``Setting.idm="difference"``; the authors'
scripts with C + D = 0). Write Delta = o' - o = chi X Pi o + r, r independent
of o. Its residual is

    o' - o'_hat = [(I - A) + chi (I - B C) X Pi] o + (I - B C) r,

and o, r are independent with Cov(o) = I, so the per-coordinate loss is
(||(I - A) + chi (I - B C) X Pi||_F^2 + E||(I - B C) r||^2) / d_o. A is free:
the first term is 0 at A = I + chi (I - B C) X Pi. The second is PCA on r
(Eckart-Young, rank(B C) <= d_z): its minimum is the same floor as the full
IDM's, reached at B C = U U^T on range(Sigma_r), i.e. C = M U^T, B = U M^-1
for any invertible M. So the difference IDM loses nothing in the loss. Its
latent z = C X a + C eps loads (0, C X, C) on (o, a, eps) for every value of
the parameters, not only at the optimum: the true latent holds no o at all
(Prop. 4.3's augmented optimum C + D = 0, built in), and at the optimum it is
M U^T (X a + eps), the full IDM's optimal surrogate. Its surrogate is the same
latent: B^+ (A - I) = chi B^+ (I - B C) X Pi = chi (M U^T - M U^T) X Pi = 0.
:func:`optimal_latent_terms` is therefore the difference IDM's theory for the
true latent and the surrogate alike, while for the full IDM it is the
surrogate's only. Both are undefined at chi = 1 for the same reason (no noise:
the loss is 0 for every C, so C X, the response to an intervened action, is
free); the difference IDM's LLO there is still 2 wherever C X has rank d_a
(no o in z, no noise), a property of C that training keeps, not of the
optimum. Augmentation adds kappa^2 ||A - I||^2 (kappa1 cancels in o' - o),
which for chi > 0 pulls A away from the A above; the theory is, as for the
full IDM, the un-augmented, unlabelled optimum. :func:`optimal_params` gives
one optimal parameter set of either IDM.

Sigma_r is low rank plus isotropic, so everything is computed from the small
matrix F^T F and never forms a d_o x d_o eigenproblem.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lamsim.linear.probes import DEFAULT_RIDGE, Noise, Protocol, Terms, latent_terms

_TIE_RTOL = 1e-9
_LLO_ATOL = 1e-6


class Spectrum(NamedTuple):
    """Eigen-decomposition of Sigma_r: ``values`` [r] with ``vectors`` [d_o, r]
    spanning range(F), plus ``isotropic`` (sigma_iid^2) on the remaining
    d_o - r directions, which ``basis`` [d_o, r] (an orthonormal basis of the
    range part) lets us reach as I - basis basis^T."""

    values: np.ndarray
    vectors: np.ndarray
    basis: np.ndarray
    isotropic: float
    d_o: int

    def sorted_values(self) -> np.ndarray:
        rest = np.full(self.d_o - self.values.size, self.isotropic)
        return np.sort(np.concatenate([self.values, rest]))[::-1]


def residual_spectrum(env: dict, chi: float, noise: Noise) -> Spectrum:
    """Spectrum of the second moment of o' - E[o' | o] given the model has no bias:
    (1 - chi)^2 X X^T + Cov(eps) + E[eps] E[eps]^T."""
    x = env["action_effect"]
    d_o = x.shape[0]
    factors = [(1.0 - chi) * x]
    if noise.active and noise.kind == "exo":
        factors.append(noise.sigma * noise.noise_map)
    if noise.active and noise.mean:
        # The model has no bias: a noise mean m counts through the second moment m m^T.
        factors.append(np.full((d_o, 1), noise.mean))
    isotropic = noise.scale ** 2 if noise.active and noise.kind == "iid" else 0.0
    basis, r = np.linalg.qr(np.concatenate(factors, axis=1))
    mu, v = np.linalg.eigh(r @ r.T)
    return Spectrum(mu + isotropic, basis @ v, basis, isotropic, d_o)


def principal_directions(env: dict, chi: float, noise: Noise, d_z: int) -> np.ndarray:
    """U [d_o, d_z]: orthonormal eigenvectors of Sigma_r for its d_z largest eigenvalues
    (ties broken by the eigen-solver's order; directions outside range(F) carry sigma_iid^2)."""
    spec = residual_spectrum(env, chi, noise)
    vectors, values = spec.vectors, spec.values
    if d_z > values.size:
        rest = np.linalg.qr(spec.basis, mode="complete")[0][:, spec.basis.shape[1]:]
        vectors = np.concatenate([vectors, rest], axis=1)
        values = np.concatenate([values, np.full(rest.shape[1], spec.isotropic)])
    order = np.argsort(-values, kind="stable")[:d_z]
    return vectors[:, order]


def optimal_params(env: dict, chi: float, noise: Noise, d_z: int, idm: str = "full") -> dict:
    """One minimiser of the un-augmented, unlabelled expected loss (Prop. 4.1, 4.2), float64.

    env: action_effect X [d_o, d_a], policy_map Pi [d_a, d_o], noise_map Y [d_o, d_b]; ``idm``
    'full' or 'difference'. Returns A [d_o, d_o], B = U [d_o, d_z] and, for the full IDM,
    C = -U^T (I + chi X Pi), D = U^T [d_z, d_o] (z = U^T (o' - E[o' | o]), A = I + chi X Pi); for
    the difference IDM, C = U^T, D of shape [0, 0] (z = U^T (o' - o)) and
    A = I + chi (I - U U^T) X Pi (module docstring). U: :func:`principal_directions`. Its loss is
    :func:`pca_floor` (a test); where eigenvalues tie, it is one of the optima.
    """
    return subspace_params(env, chi, principal_directions(env, chi, noise, d_z), idm)


def subspace_params(env: dict, chi: float, u: np.ndarray, idm: str = "full") -> dict:
    """The parameters whose latent is z = U^T (o' - E[o' | o]) and whose FDM predicts E[o' | o] + U z
    (float64): the optimum of :func:`optimal_params` when U [d_o, d_z] (orthonormal columns) spans the
    top eigenvectors of Sigma_r, a starting point elsewhere (lamsim/linear/optimum.py). Shapes and
    the two IDMs as in :func:`optimal_params`."""
    x, pi = env["action_effect"], env["policy_map"]
    d_o = x.shape[0]
    x_pi = x @ pi
    if idm == "difference":
        return {"A": np.eye(d_o) + chi * (x_pi - u @ (u.T @ x_pi)), "B": u, "C": u.T, "D": np.zeros((0, 0))}
    return {"A": np.eye(d_o) + chi * x_pi, "B": u, "C": -u.T - chi * (u.T @ x_pi), "D": u.T}


def pca_floor(env: dict, chi: float, noise: Noise, d_z: int) -> float:
    """Minimum per-coordinate reconstruction loss: (1/d_o) * sum of the
    eigenvalues of Sigma_r beyond the top d_z (Prop. 4.1)."""
    spec = residual_spectrum(env, chi, noise)
    return float(np.sum(spec.sorted_values()[d_z:]) / spec.d_o)


def optimal_latent_terms(env: dict, chi: float, noise: Noise, d_z: int,
                         ridge: float = DEFAULT_RIDGE, probe: str = "interventional",
                         action_target: str = "action") -> Terms:
    """LLO terms of the PCA-optimal surrogate latent U^T (X a + eps).

    env: action_effect X [d_o, d_a], policy_map Pi [d_a, d_o], noise_map Y
    [d_o, d_b]. ``probe`` and ``action_target`` are the probe protocol of
    :class:`~lamsim.linear.probes.Protocol`, applied to the optimum's loadings
    (0, U^T X, U^T). Under 'policy-fit' without noise and 0 < chi < 1, the
    latent is U^T X a on the training data, so the action probe is exact and
    the o probe learns o_hat = c Pi^T a with c = chi / (chi^2 + (1 - chi)^2);
    on intervened actions it errs by c^2 d_a / d_o beyond 1, and the LLO is
    2 + c^2 d_a / d_o for d_z >= d_a (2.0625 at chi = 0.5, d_a 8, d_o 128).

    Undefined (every term NaN) where the optimum is not unique in a way that
    moves the LLO:

    * chi = 1: the training data never shows the action varying on its own
      (a = Pi o), so the optimum leaves the latent's response to an intervened
      action free (the loss is flat along it). The same holds under
      'policy-fit': the probe is fitted on the latent's response to Pi o alone
      and scored on that free response, so what it reads there is a property
      of the probe and of where training happened to stop, not of the optimum;
    * the d_z-th and (d_z+1)-th eigenvalues of Sigma_r tie and the choice inside
      the tied eigenspace changes the LLO. We compare the extreme choices (the
      directions of the tied space most and least aligned with the action
      subspace, and with the other-agent noise subspace) and a random one.
      Ties that leave the LLO alone (spare null directions, isotropic noise
      directions, a d_z < d_a share of equal action directions) keep their value.
    """
    if chi >= 1.0:
        return Terms(math.nan, math.nan, math.nan, math.nan)
    x = env["action_effect"]
    protocol = Protocol.of(probe, action_target, chi, env)
    spec = residual_spectrum(env, chi, noise)
    everything = spec.sorted_values()
    level = everything[d_z - 1]
    tol = _TIE_RTOL * max(1.0, float(everything[0]))
    fixed = spec.vectors[:, spec.values > level + tol]
    tied = spec.vectors[:, np.abs(spec.values - level) <= tol]
    if spec.d_o > spec.values.size and abs(spec.isotropic - level) <= tol:
        complete = np.linalg.qr(spec.basis, mode="complete")[0]
        tied = np.concatenate([tied, complete[:, spec.basis.shape[1]:]], axis=1)
    need = d_z - fixed.shape[1]

    def terms_for(chosen: np.ndarray) -> Terms:
        u = np.concatenate([fixed, tied @ chosen], axis=1)
        # Zero o-loading: the optimum's surrogate holds no o (module docstring).
        return latent_terms(np.zeros((d_z, spec.d_o)), u.T @ x, u.T, noise, ridge, protocol)

    if tied.shape[1] == need:
        return terms_for(np.eye(need))
    # Choices inside the tied space, as orthonormal [tied_dim, need] coordinates.
    subspaces = [x] + ([noise.noise_map] if noise.active and noise.kind == "exo" else [])
    choices = [np.linalg.qr(np.random.default_rng(0).standard_normal((tied.shape[1], need)))[0]]
    for sub in subspaces:
        left = np.linalg.svd(tied.T @ sub, full_matrices=True)[0]  # most aligned first
        choices += [left[:, :need], left[:, -need:]]
    draws = [terms_for(c) for c in choices]
    llos = [t.llo for t in draws]
    if max(llos) - min(llos) > _LLO_ATOL:
        return Terms(math.nan, math.nan, math.nan, math.nan)
    return draws[0]
