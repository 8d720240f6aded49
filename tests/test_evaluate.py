"""The closed-form probes against least squares fitted on 200,000 samples."""
import itertools

import numpy as np
import pytest

from lamsim.linear import world as data
from lamsim.linear.evaluate import evaluate, population_loss
from lamsim.linear.readout import surrogate_latent_loadings, true_latent_loadings
from lamsim.linear.probes import Noise, Protocol, latent_terms, probe_nmse

D_O, D_A, D_Z, D_B = 32, 4, 6, 4
PROTOCOLS = [(probe, target) for probe in ("interventional", "policy-fit") for target in ("action", "subspace")]


def _params(rng, x):
    """A model that mixes o, a and eps into the latent (every term strictly inside (0, 1)).

    D leans on the action subspace X [D_O, D_A], so that the latent's training and
    interventional distributions differ enough for the policy-fit probe to move
    every LLO term by more than the Monte-Carlo tolerance.
    """
    d = rng.standard_normal((D_Z, D_O)) / np.sqrt(D_O) + rng.standard_normal((D_Z, D_A)) @ x.T / np.sqrt(D_A)
    return {"A": np.eye(D_O) + 0.3 * rng.standard_normal((D_O, D_O)) / np.sqrt(D_O),
            "B": rng.standard_normal((D_O, D_Z)) / np.sqrt(D_Z),
            "C": -d + 0.2 * rng.standard_normal((D_Z, D_O)) / np.sqrt(D_O), "D": d}


def _samples(params, env, noise, latent, chi, n, rng):
    """n samples of the latent and the probe targets, a = chi Pi o + (1 - chi) s.

    chi = 0 is the interventional distribution (a independent of o). The
    subspace target is X^+ (o' - o) = X^+ (q + eps), computed as the released
    script does, from the data rather than from loadings.
    """
    x = env["action_effect"]
    o = rng.standard_normal((n, D_O))
    a = chi * o @ env["policy_map"].T + (1 - chi) * rng.standard_normal((n, D_A))
    if noise.kind == "iid":
        eps = noise.sigma * rng.standard_normal((n, D_O))
    elif noise.kind == "exo":
        eps = noise.sigma * rng.standard_normal((n, D_B)) @ env["noise_map"].T
    else:
        eps = np.zeros((n, D_O))
    o_next = o + a @ x.T + eps
    z = o @ params["C"].T + o_next @ params["D"].T
    if latent == "surrogate":
        pred = o @ params["A"].T + z @ params["B"].T
        z = (pred - o) @ np.linalg.pinv(params["B"]).T
    return _Sample(z, {"action": a, "subspace": (o_next - o) @ np.linalg.pinv(x).T, "obs": o, "noise": eps})


class _Sample:
    """Samples of the latent z [n, D_Z] and of the targets, kept as their sample
    second moments (one pass over the n rows), from which the fit and the
    squared error of any linear probe on these samples follow exactly:
    sum ||y - W^T z||^2 / n = tr S_yy - 2 tr(W^T S_zy) + tr(W^T S_zz W)."""

    def __init__(self, z, targets):
        n = z.shape[0]
        self.zz = z.T @ z / n
        self.zy = {k: z.T @ y / n for k, y in targets.items()}
        self.yy = {k: float(np.sum(y * y) / n) for k, y in targets.items()}


def _monte_carlo(fit, score, target, noise, ridge):
    """(nMSE(action target), nMSE(eps), nMSE(o)) of least squares fitted on the
    samples ``fit`` with the ridge ``ridge * tr Cov_fit(l) / dim l`` and scored
    on the samples ``score`` (sample mean squared error over sample total variance)."""
    reg = ridge * np.trace(fit.zz) / D_Z * np.eye(D_Z)

    def nmse(key):
        w = np.linalg.solve(fit.zz + reg, fit.zy[key])
        err = score.yy[key] - 2 * np.sum(score.zy[key] * w) + np.sum(w * (score.zz @ w))
        return err / score.yy[key]

    return nmse(target), (nmse("noise") if noise.kind != "none" else 1.0), nmse("obs")


def _noise(kind, sigma, env):
    return Noise(kind, sigma, env["noise_map"] if kind == "exo" else None)


@pytest.mark.slow
@pytest.mark.parametrize("chi", [0.0, 0.6])
@pytest.mark.parametrize("kind, sigma", [("none", 0.0), ("iid", 0.7), ("exo", 1.5)])
def test_closed_form_matches_sampled_least_squares(kind, sigma, chi):
    """Each probe protocol and action target, for the true and the surrogate
    latent, against least squares on 200,000 samples: fitted on the training
    policy's samples (policy-fit) or on the interventional ones, always scored
    on the interventional ones."""
    rng = np.random.default_rng(0)
    env = data.environment_f64(0, D_O, D_A, D_B)
    params = _params(rng, env["action_effect"])
    noise = _noise(kind, sigma, env)
    for latent in ("true", "surrogate"):
        loading_of = true_latent_loadings if latent == "true" else surrogate_latent_loadings
        loadings = loading_of(params, env["action_effect"])
        draws = np.random.default_rng(1)  # the same draws for both latents
        score = _samples(params, env, noise, latent, 0.0, 200_000, draws)
        train = _samples(params, env, noise, latent, chi, 200_000, draws)
        # The default ridge, and a large one that shows its scale comes from the fitting distribution.
        for (probe, target), ridge in itertools.product(PROTOCOLS, (1e-4, 0.5)):
            exact = latent_terms(*loadings, noise, ridge, Protocol.of(probe, target, chi, env))
            sampled = _monte_carlo(train if probe == "policy-fit" else score, score, target, noise, ridge)
            # Non-trivial probes (the policy-fit o probe may extrapolate past 1).
            assert 0.02 < exact.nmse_action < 0.98 and 0.005 < abs(exact.nmse_obs - 1) < 0.98
            np.testing.assert_allclose([exact.nmse_action, exact.nmse_noise, exact.nmse_obs], sampled, atol=0.01,
                                       err_msg=f"{latent} {probe} {target} ridge {ridge}")
        if chi > 0:
            # The comparison has power: fitting where a varies on its own instead of on the
            # policy's data would miss the policy-fit numbers by far more than the tolerance.
            fitted_here = latent_terms(*loadings, noise, 1e-4, Protocol.of("interventional", "action", chi, env))
            policy = latent_terms(*loadings, noise, 1e-4, Protocol.of("policy-fit", "action", chi, env))
            assert abs(policy.nmse_action - fitted_here.nmse_action) > 0.025
            assert abs(policy.nmse_obs - fitted_here.nmse_obs) > 0.025
        if noise.active:
            # ... and the two action targets differ by far more than the tolerance too.
            action = latent_terms(*loadings, noise, 1e-4, Protocol.of("interventional", "action", chi, env))
            subspace = latent_terms(*loadings, noise, 1e-4, Protocol.of("interventional", "subspace", chi, env))
            assert abs(action.nmse_action - subspace.nmse_action) > 0.05


@pytest.mark.parametrize("target", ["action", "subspace"])
@pytest.mark.parametrize("kind, sigma", [("none", 0.0), ("iid", 0.7), ("exo", 1.5)])
def test_policy_fit_at_chi_zero_is_the_interventional_probe(kind, sigma, target):
    """With chi = 0 the training policy ignores o, so the training distribution is
    the interventional one and both protocols give the same numbers."""
    env = data.environment_f64(0, D_O, D_A, D_B)
    params = _params(np.random.default_rng(3), env["action_effect"])
    noise = _noise(kind, sigma, env)
    for latent in ("true", "surrogate"):
        a = evaluate(params, env, 0.0, noise, latent, probe="policy-fit", action_target=target)
        b = evaluate(params, env, 0.0, noise, latent, probe="interventional", action_target=target)
        np.testing.assert_allclose(a.terms, b.terms, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.terms_ridge0, b.terms_ridge0, rtol=0, atol=1e-12)


def test_subspace_target_without_noise_is_the_action():
    env = data.environment_f64(0, D_O, D_A, D_B)
    params = _params(np.random.default_rng(4), env["action_effect"])
    for probe in ("interventional", "policy-fit"):
        a = evaluate(params, env, 0.6, Noise("none", 0.0), "surrogate", probe=probe, action_target="subspace")
        b = evaluate(params, env, 0.6, Noise("none", 0.0), "surrogate", probe=probe, action_target="action")
        assert a.terms == b.terms


def test_population_loss_matches_samples():
    rng = np.random.default_rng(2)
    env = data.environment_f64(0, D_O, D_A, D_B)
    params = _params(rng, env["action_effect"])
    chi = 0.4
    noise = Noise("exo", 0.8, env["noise_map"])
    n = 200_000
    o = rng.standard_normal((n, D_O))
    s = rng.standard_normal((n, D_A))
    a = chi * o @ env["policy_map"].T + (1 - chi) * s
    o_next = o + a @ env["action_effect"].T + 0.8 * rng.standard_normal((n, D_B)) @ env["noise_map"].T
    z = o @ params["C"].T + o_next @ params["D"].T
    sampled = np.mean((o @ params["A"].T + z @ params["B"].T - o_next) ** 2)
    assert population_loss(params, env, chi, noise) == pytest.approx(sampled, rel=0.01)


def test_ridge_suppresses_a_vanishing_trace_of_o():
    """docs/method.md Sec. 6.4: a latent coordinate holding 1e-3 o_1 and nothing else reads one whole
    dimension of o at delta = 0; the default ridge reads (almost) nothing."""
    load_o = np.zeros((3, D_O))
    load_o[2, 0] = 1e-3
    load_a = np.zeros((3, D_A))
    load_a[0, 0] = load_a[1, 1] = 1.0
    none = Noise("none", 0.0)
    assert latent_terms(load_o, load_a, None, none, ridge=0.0).nmse_obs == pytest.approx(1 - 1 / D_O, abs=1e-9)
    # With the ridge it reads under 5% of one dimension instead of all of it.
    assert latent_terms(load_o, load_a, None, none, ridge=1e-4).nmse_obs > 1 - 0.05 / D_O


def test_probe_of_identity_latent_is_perfect_and_of_nothing_is_one():
    assert probe_nmse(np.eye(3), np.eye(3), 3.0, 0.0) == pytest.approx(0.0, abs=1e-12)
    assert probe_nmse(np.zeros((2, 2)), np.zeros((2, 3)), 3.0, 1e-4) == pytest.approx(1.0)


def test_evaluate_diagnostics_on_the_ideal_model():
    env = data.environment_f64(0, D_O, D_A, D_B)
    x = env["action_effect"]
    ideal = {"A": np.eye(D_O), "B": x, "C": -x.T, "D": x.T}
    ev = evaluate(ideal, env, 0.0, Noise("exo", 0.5, env["noise_map"]), "true")
    assert ev.alignment == pytest.approx(1.0)
    assert ev.a_minus_i == pytest.approx(0.0) and ev.c_plus_d == pytest.approx(0.0)
    assert ev.dy_ratio == pytest.approx(np.linalg.norm(x.T @ env["noise_map"]) / np.linalg.norm(x.T))
    assert ev.terms.nmse_obs == pytest.approx(1.0)
    assert ev.terms.nmse_action < 0.25
