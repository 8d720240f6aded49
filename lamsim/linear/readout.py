"""Reading a trained linear LAM's parameters: each latent as a linear map of the independent sources
(o, a, eps), A - I, the alignment of span(B) with the action subspace, and one run's parameters and
environment cut from their padded group shapes (paper Sec. 3.2, 4.1; docs/method.md Sec. 6).

The bottom of the linear LAM's evaluation: :mod:`lamsim.linear.evaluate` and
:mod:`lamsim.linear.state` both read through it.
"""
from __future__ import annotations

import numpy as np

from lamsim.linear.model import full_idm
from lamsim.linear.settings import Setting


def true_latent_loadings(params: dict, action_effect: np.ndarray):
    """z = C o + D o' with o' = o + X a + eps: (L_o, L_a, L_eps) = (C + D, D X, D).

    A difference IDM z = C (o' - o) (``D`` of size 0) is read in its full form (-C, C)
    (:func:`lamsim.linear.model.full_idm`): (0, C X, C), no o whatever the parameters."""
    c, d = full_idm(params["C"], params["D"])
    return c + d, d @ action_effect, d


def a_minus_i(params: dict) -> np.ndarray:
    """A - I, where a missing or [0, 0] A means A fixed to I."""
    a, b = params.get("A"), params["B"]
    if a is None or np.size(a) == 0:
        return np.zeros((b.shape[0], b.shape[0]))
    return a - np.eye(a.shape[0])


def surrogate_latent_loadings(params: dict, action_effect: np.ndarray):
    """z_s = B^+ (o'_hat - o) = B^+ (A - I) o + B^+ B z (paper Sec. 4.1's surrogate, projected to d_z)."""
    b = params["B"]
    b_pinv = np.linalg.pinv(b)
    proj = b_pinv @ b
    l_o, l_a, l_e = true_latent_loadings(params, action_effect)
    return b_pinv @ a_minus_i(params) + proj @ l_o, proj @ l_a, proj @ l_e


def unprojected_latent_loadings(params: dict, action_effect: np.ndarray):
    """o'_hat - o = (A - I) o + B z, d_o coordinates (the authors' Figure 4 left script's action probe input)."""
    b = params["B"]
    l_o, l_a, l_e = true_latent_loadings(params, action_effect)
    return a_minus_i(params) + b @ l_o, b @ l_a, b @ l_e


#: The latents a probe can read (Setting.latent), by name.
LATENT_LOADINGS = {"true": true_latent_loadings, "surrogate": surrogate_latent_loadings,
                   "unprojected": unprojected_latent_loadings}


def unpadded_env(s: Setting, env: dict) -> dict:
    """The seed's padded environment cut to ``s``'s own d_a: X [d_o, d_a], Pi [d_a, d_o], Y."""
    return {"action_effect": env["action_effect"][:, :s.d_a], "policy_map": env["policy_map"][:s.d_a],
            "noise_map": env["noise_map"]}


def unpadded_params(s: Setting, params) -> dict:
    """One run's A, B, C, D at the setting's own d_z (from padded :class:`~lamsim.linear.model.Params`)."""
    params = params._asdict()
    return {"A": params["A"], "B": params["B"][:, :s.d_z], "C": params["C"][:s.d_z], "D": params["D"][:s.d_z]}


def subspace_alignment(b: np.ndarray, action_effect: np.ndarray) -> float:
    """||Q_B^T X||_F^2 / d_a: the share of the action subspace that span(B) holds."""
    u, s, _ = np.linalg.svd(b, full_matrices=False)
    basis = u[:, s > s.max(initial=0.0) * max(b.shape) * np.finfo(float).eps]
    return float(np.sum((basis.T @ action_effect) ** 2) / action_effect.shape[1])
