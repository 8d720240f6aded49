"""Beyond pixels: the world of a window o_t, ..., o_{t+k} as loadings on independent standard sources,
and the frozen feature maps (docs/method.md Sec. 18), in float64.

Every vector of a window is linear in one standard normal vector zeta [n] made of blocks:

* ``g`` [d_o]: o_t's own draw (o_t = g, or (I - P P^T) g + sigma_e P e with exogenous state);
* ``e`` [d_b]: the exogenous state's current value (``noise="exo-state"`` only);
* for each step j < k: ``a{j}`` [d_a], the action's innovation, and ``n{j}``, the noise's
  ([d_o] i.i.d., [d_b] other agents' b_j or the exogenous state's innovation xi_j; none without noise);
* ``k1``, ``k2`` [d_o]: the augmentation shifts kappa1, kappa2 (training only, when |kappa| > 0).

Actions persist as a stationary AR(1), a_0 = u_0, a_{j+1} = psi a_j + sqrt(1 - psi^2) u_{j+1} (psi 0:
fresh actions, the paper); o_{j+1} = o_j + X a_j + eps_j with eps_j = sigma n_j (i.i.d.), sigma Y n_j
(other agents, fresh each step) or sigma_e P (e_{j+1} - e_j), e_{j+1} = rho e_j + sqrt(1 - rho^2) n_j
(exogenous state, paper-world Sec. 12 of docs/method.md). The policy is uniform (chi = 0), so a
window drawn this way is the interventional distribution the probes read.

A random vector is a loading matrix L [dim, n]: its samples are zeta L^T, its covariance L L^T, its
cross-covariance with another L L'^T. The window trainer feeds either (the rows of L^T are the n
"pseudo-samples" whose summed loss is the expected loss).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import numpy as np

from lamsim.linear.fields import STATE_NOISE
from lamsim.linear.settings import Setting
from lamsim.linear.world import environment_f64


class Window(NamedTuple):
    """The loadings [dim, n] of one setting's window on its sources (float64).

    obs: o_t [d_o]; idm_next: o_{t+k}, the IDM's second frame [d_o]; target: the FDM's target frame,
    o_{t+1} or o_{t+k} [d_o]; action: a_t [d_a]; noise: the noise source of step t (the LLO's noise
    target; [0, n] without noise); shift_idm, shift_fdm: kappa1, kappa2 scaled by |kappa| [d_o] (zero
    loadings without augmentation).
    """

    obs: np.ndarray
    idm_next: np.ndarray
    target: np.ndarray
    action: np.ndarray
    noise: np.ndarray
    shift_idm: np.ndarray
    shift_fdm: np.ndarray


def noise_width(s: Setting) -> int:
    """The width of one step's noise source n_j: d_o (i.i.d.), d_b (other agents, exogenous state), 0."""
    return {"none": 0, "iid": s.d_o, "exo": s.d_b, STATE_NOISE: s.d_b}[s.noise]


def environment(s: Setting, seed: int) -> dict:
    """The seed's X [d_o, d_a], Pi, noise map (Y, or P orthogonal to X for exogenous state), as the
    paper-world trainer draws them (:func:`lamsim.linear.world.environment_f64`)."""
    return environment_f64(seed, s.d_o, s.d_a, s.d_b, s.noise == STATE_NOISE)


def feature_map(s: Setting, env: dict, seed: int) -> np.ndarray:
    """The frozen map F [d_r, d_o] of ``s.features``: I (pixels), P_X + gamma (I - P_X) (``agent``), or
    Gaussian rows / sqrt(d_o) drawn from the seed (``random``). A learned encoder has none (ValueError)."""
    x = env["action_effect"]
    if s.features == "identity":
        return np.eye(s.d_o)
    if s.features == "agent":
        proj = x @ x.T
        return proj + s.gamma * (np.eye(s.d_o) - proj)
    if s.features == "random":
        key = jax.random.fold_in(jax.random.key(seed), 0xFEA7)
        return np.asarray(jax.random.normal(key, (s.feature_size, s.d_o)), np.float64) / np.sqrt(s.d_o)
    raise ValueError(f"features={s.features!r} is invalid: a learned encoder has no frozen map")


def window(s: Setting, env: dict, augment: bool = True) -> Window:
    """The loadings of ``s``'s window (module docstring); ``augment=False`` leaves the shifts out
    (evaluation)."""
    x, y = env["action_effect"], env["noise_map"]
    d_o, d_a, d_b, k = s.d_o, s.d_a, s.d_b, s.idm_horizon
    width = noise_width(s)
    state = s.noise == STATE_NOISE
    shifts = augment and s.kappa > 0
    sizes = [("g", d_o)] + ([("e", d_b)] if state else [])
    for j in range(k):
        sizes += [(f"a{j}", d_a)] + ([(f"n{j}", width)] if width else [])
    sizes += [("k1", d_o), ("k2", d_o)] if shifts else []
    n = sum(w for _, w in sizes)
    start = dict(zip([name for name, _ in sizes], np.cumsum([0] + [w for _, w in sizes])[:-1]))

    def unit(name, rows):
        """The loading [rows, n] of block ``name`` (identity on its own columns)."""
        m = np.zeros((rows, n))
        m[:, start[name]:start[name] + rows] = np.eye(rows)
        return m

    zero = np.zeros((d_o, n))
    if state:
        p = y
        obs = unit("g", d_o) - p @ (p.T @ unit("g", d_o)) + s.sigma * p @ unit("e", d_b)
        e_now = unit("e", d_b)
    else:
        obs = unit("g", d_o)
    psi = s.action_persistence
    a_now = unit("a0", d_a)
    frames, actions = [obs], [a_now]
    for j in range(k):
        if j > 0:
            a_now = psi * a_now + np.sqrt(1.0 - psi ** 2) * unit(f"a{j}", d_a)
            actions.append(a_now)
        step = x @ a_now
        if s.noise == "iid":
            step = step + s.sigma * unit(f"n{j}", d_o)
        elif s.noise == "exo":
            step = step + s.sigma * y @ unit(f"n{j}", d_b)
        elif state:
            e_next = s.rho * e_now + np.sqrt(max(1.0 - s.rho ** 2, 0.0)) * unit(f"n{j}", d_b)
            step = step + s.sigma * p @ (e_next - e_now)
            e_now = e_next
        frames.append(frames[-1] + step)
    return Window(
        obs=obs, idm_next=frames[k], target=frames[1] if s.fdm_target == "next" else frames[k],
        action=actions[0], noise=unit("n0", width) if width else np.zeros((0, n)),
        shift_idm=s.kappa * unit("k1", d_o) if shifts else zero,
        shift_fdm=s.kappa * unit("k2", d_o) if shifts else zero)
