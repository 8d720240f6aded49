"""Beyond pixels, reading: train settings with the window trainer and read every run exactly, beside its
theory and, for a learned encoder, its diagnostics (docs/method.md Sec. 18), in float64.

Latents (paper Sec. 4.1's two, in feature space): the true latent z (always read too: ``llo_z``,
``nmse_action_z``), or the surrogate
B^+ (y_hat - target(o_t)), the predicted change in the target's space (B^+ (y_hat - F o_t) for a frozen
map, B^+ (y_hat - W_bar o_t) for an EMA target, B^+ (y_hat - W o_t) without one). Probes and the LLO:
:func:`lamsim.linear.window_theory.terms`. A learned encoder adds, at every reading point:

* ``w_norm``: ||W||_F / ||W_0||_F; ``w_rank``: W's effective rank exp(H(p)), p its normalised
  singular values (Roy and Vetterli 2007);
* ``w_action``, ``w_noise``: the mean squared cosine of the principal angles between span(X) (or the
  noise's span: Y, or P for exogenous state; NaN for i.i.d. noise, which spans everything) and W's
  top round(w_rank) right singular vectors (1: inside; about round(w_rank) / d_o for a random W);
* ``frozen_llo``: the frozen-map theory's LLO at F = W_0, and ``frozen_distance``: the distance of the
  latent from that theory's latent (:func:`lamsim.linear.window_theory.latent_distance`).
"""
from __future__ import annotations

import math
import time

import numpy as np

from lamsim.linear.evaluate import CONVERGED_DRIFT
from lamsim.linear.fields import STATE_NOISE
from lamsim.linear.settings import Setting
from lamsim.linear.window import environment, feature_map, window
from lamsim.linear.window_theory import latent_distance, optimal_latents, terms, theory_terms
from lamsim.linear.window_train import rows_of, shape_of, train

#: The arrays of every run, at each reading point ([setting, seed, reading]).
READ_METRICS = ("llo", "nmse_action", "nmse_noise", "nmse_obs", "loss", "llo_z", "nmse_action_z")
#: The learned encoder's diagnostics (NaN for a frozen map), at each reading point.
ENCODER_METRICS = ("w_norm", "w_rank", "w_action", "w_noise", "frozen_llo", "frozen_distance")
#: The theory's numbers (NaN where it has none), per run.
THEORY_METRICS = ("theory_llo", "theory_nmse_action", "theory_nmse_noise", "theory_nmse_obs")


def _forward(params: dict, win, feature):
    """(z [d_z, n], y_hat [d_r, n], the encoder) of a run as loadings on ``win``'s sources; feature: the frozen
    F (None: the learned W)."""
    enc = params["W"] if feature is None else feature
    f_t, f_k = enc @ win.obs, enc @ win.idm_next
    c = params["C"]
    z = c @ (f_k - f_t) if params["D"].size == 0 else c @ f_t + params["D"] @ f_k
    pred = (params["A"] @ f_t if params["A"].size else f_t) + params["B"] @ z
    return z, pred


def latent_of(s: Setting, params: dict, target_w: np.ndarray, win, feature) -> np.ndarray:
    """The latent ``s.latent`` as loadings [d_z, n] on ``win``'s sources. params: float64 A, B, C, D, W;
    feature: the frozen F (None: the learned W)."""
    z, pred = _forward(params, win, feature)
    if s.latent == "true":
        return z
    return np.linalg.pinv(params["B"]) @ (pred - _target_map(s, params, target_w, feature) @ win.obs)


def _target_map(s: Setting, params: dict, target_w, feature):
    """What the FDM's target reads: the frozen F, the online W (target ``none``) or the EMA W_bar."""
    if feature is not None:
        return feature
    return params["W"] if s.target == "none" else target_w


def population_loss(s: Setting, params: dict, target_w, win, feature) -> float:
    """The reconstruction loss's expectation (no labels, no augmentation), per feature coordinate."""
    _, pred = _forward(params, win, feature)
    resid = pred - _target_map(s, params, target_w, feature) @ win.target
    return float(np.sum(resid ** 2) / resid.shape[0])


def effective_rank(w: np.ndarray) -> float:
    """exp of the entropy of w's normalised singular values (Roy and Vetterli 2007): 1 to min(w.shape)."""
    sv = np.linalg.svd(w, compute_uv=False)
    p = sv / sv.sum()
    p = p[p > 0]
    return float(np.exp(-np.sum(p * np.log(p))))


def subspace_share(w: np.ndarray, basis: np.ndarray, rank: int) -> float:
    """Mean squared cosine of the principal angles between span(basis) [d_o, m] (orthonormal) and the top
    ``rank`` right singular vectors of ``w``."""
    _, _, vt = np.linalg.svd(w, full_matrices=False)
    return float(np.sum((vt[:rank] @ basis) ** 2) / basis.shape[1])


def encoder_metrics(s: Setting, params: dict, w0: np.ndarray, win, env: dict, ridge: float, latent) -> dict:
    """The learned encoder's diagnostics (module docstring) of one reading."""
    w = params["W"]
    rank = effective_rank(w)
    keep = max(1, int(round(rank)))
    noise_span = {"exo": env["noise_map"], STATE_NOISE: env["noise_map"]}.get(s.noise)
    frozen = optimal_latents(s.replace(label_rate=0.0), win, w0, w0)  # the theory is the unlabelled optimum
    return {"w_norm": float(np.linalg.norm(w) / np.linalg.norm(w0)), "w_rank": rank,
            "w_action": subspace_share(w, env["action_effect"], keep),
            "w_noise": math.nan if noise_span is None else subspace_share(w, noise_span, keep),
            "frozen_llo": terms(frozen[0], win, ridge)["llo"] if frozen else math.nan,
            "frozen_distance": latent_distance(latent, frozen[0]) if frozen else math.nan}


def _unstack(tree, i) -> dict:
    return {k: np.asarray(v[i], np.float64) for k, v in tree._asdict().items()}


def run_settings(settings, seeds, ridge: float = 1e-4, readings: int = 4, log=None, maps=feature_map) -> dict:
    """Train and read every (setting, seed); settings of one shape train together, vmapped.

    ``maps(setting, env, seed) -> F [d_r, d_o]``: the frozen map of each run (default
    :func:`lamsim.linear.window.feature_map`, the setting's ``features``). A map of one's own: pass a
    function returning it, with settings whose ``features`` is 'random' and ``d_r`` its row count (they
    fix the shapes; the theory is computed for the map given). ValueError where a map's shape is not
    [d_r, d_o].

    Returns {metric: [settings, seeds, readings] for READ_METRICS and ENCODER_METRICS, [settings, seeds]
    for THEORY_METRICS and ``llo_drift`` (the LLO at the end minus at the reading nearest half the steps,
    signed; NaN with one reading)}, plus ``wall_s``. Reading points: ``readings`` equal parts of
    each run's steps (the last at the end). ValueError for a setting the window trainer does not take
    (``Setting.beyond`` false is fine: identity features at k = 1 are the paper's LAM)."""
    settings, seeds = list(settings), list(seeds)
    out = {m: np.full((len(settings), len(seeds), readings), np.nan) for m in READ_METRICS + ENCODER_METRICS}
    out.update({m: np.full((len(settings), len(seeds)), np.nan) for m in THEORY_METRICS + ("llo_drift",)})
    runs = {}
    prepared = {}
    for i, s in enumerate(settings):
        for j, seed in enumerate(seeds):
            env = environment(s, seed)
            feature = None if s.features == "learned" else np.asarray(maps(s, env, seed), np.float64)
            if feature is not None and feature.shape != (s.feature_size, s.d_o):
                raise ValueError(f"maps={feature.shape} is invalid: a frozen map must be [d_r, d_o] = "
                                 f"[{s.feature_size}, {s.d_o}]")
            train_win, eval_win = window(s, env), window(s, env, augment=False)
            prepared[i, j] = (env, feature, eval_win)
            runs.setdefault(shape_of(s, train_win), []).append((i, j, rows_of(s, train_win, feature)))
            if feature is not None:
                theo = theory_terms(s, eval_win, feature, ridge)
                for m in THEORY_METRICS:
                    out[m][i, j] = theo[m[len("theory_"):]]
    start_time = time.perf_counter()
    for shape, group in runs.items():
        rows = type(group[0][2])(*(np.stack([np.asarray(getattr(r, f)) for _, _, r in group])
                                   for f in group[0][2]._fields))
        points = [shape.steps * (p + 1) // readings for p in range(readings - 1)]
        final, kept, start = train(shape, rows, [seeds[j] for _, j, _ in group], points)
        if log:
            log(f"[window] {len(group)} run(s) of {shape.profile}, {shape.steps} steps, "
                f"{time.perf_counter() - start_time:.1f} s")
        for r, (i, j, _) in enumerate(group):
            env, feature, win = prepared[i, j]
            s = settings[i]
            w0 = np.asarray(start.W[r], np.float64)
            for p, state in enumerate(kept + [final]):
                params = _unstack(state.params, r)
                target_w = np.asarray(state.target[r], np.float64)
                latent = latent_of(s, params, target_w, win, feature)
                read = terms(latent, win, ridge)
                read["loss"] = population_loss(s, params, target_w, win, feature)
                z_terms = terms(latent_of(s.replace(latent="true"), params, target_w, win, feature), win, ridge)
                read.update(llo_z=z_terms["llo"], nmse_action_z=z_terms["nmse_action"])
                if feature is None:
                    read.update(encoder_metrics(s, params, w0, win, env, ridge, latent))
                for m, v in read.items():
                    out[m][i, j, p] = v
            if points:  # the reading nearest half the steps
                half = int(np.argmin(np.abs(np.asarray(points) - shape.steps / 2)))
                out["llo_drift"][i, j] = out["llo"][i, j, -1] - out["llo"][i, j, half]
    out["wall_s"] = time.perf_counter() - start_time
    return out


def run_one(s: Setting, seeds, ridge: float = 1e-4) -> dict:
    """One setting over ``seeds``, for the command line: ``mean`` over seeds at the end of training of
    every metric (None where NaN: ``theory_llo`` where there is no theory, the encoder's diagnostics
    for a frozen map), ``llo_drift`` the largest |drift| over seeds, ``converged`` whether every seed's
    is at most :data:`~lamsim.linear.evaluate.CONVERGED_DRIFT`, and ``per_seed`` each seed's values."""
    res = run_settings([s], seeds, ridge)
    mean, per_seed = {}, {}
    for m, v in res.items():
        if m == "wall_s":
            continue
        end = np.asarray(v)[0]
        end = end[:, -1] if end.ndim == 2 else end
        value = float(np.max(np.abs(end))) if m == "llo_drift" else float(np.mean(end))
        mean[m] = None if math.isnan(value) else value
        per_seed[m] = [None if math.isnan(x) else float(x) for x in end]
    drift = mean["llo_drift"]
    converged = drift is not None and drift <= CONVERGED_DRIFT
    return {"wall_s": round(res["wall_s"], 3), "mean": mean, "converged": converged, "per_seed": per_seed,
            "seeds": [int(x) for x in seeds]}
