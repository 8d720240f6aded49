"""The closed-form probes against least squares fitted on 200,000 samples."""
import numpy as np
import pytest

from lamsim.linear import world as data
from lamsim.linear.evaluate import evaluate, population_loss, surrogate_latent_loadings, true_latent_loadings
from lamsim.linear.probes import Noise, latent_terms, probe_nmse

D_O, D_A, D_Z, D_B = 32, 4, 6, 4


def _params(rng):
    """A model that mixes o, a and eps into the latent (every term strictly inside (0, 1))."""
    d = rng.standard_normal((D_Z, D_O)) / np.sqrt(D_O)
    return {"A": np.eye(D_O) + 0.3 * rng.standard_normal((D_O, D_O)) / np.sqrt(D_O),
            "B": rng.standard_normal((D_O, D_Z)) / np.sqrt(D_Z),
            "C": -d + 0.2 * rng.standard_normal((D_Z, D_O)) / np.sqrt(D_O), "D": d}


def _monte_carlo(params, env, noise, latent, ridge, n=200_000, seed=1):
    rng = np.random.default_rng(seed)
    o = rng.standard_normal((n, D_O))
    a = rng.standard_normal((n, D_A))
    if noise.kind == "iid":
        e = rng.standard_normal((n, D_O))
        eps = noise.sigma * e
    elif noise.kind == "exo":
        e = rng.standard_normal((n, D_B))
        eps = noise.sigma * e @ env["noise_map"].T
    else:
        eps = np.zeros((n, D_O))
    o_next = o + a @ env["action_effect"].T + eps
    z = o @ params["C"].T + o_next @ params["D"].T
    if latent == "surrogate":
        pred = o @ params["A"].T + z @ params["B"].T
        z = (pred - o) @ np.linalg.pinv(params["B"]).T
    cov = z.T @ z / n
    reg = ridge * np.trace(cov) / D_Z * np.eye(D_Z)

    def nmse(y):
        w = np.linalg.solve(cov + reg, z.T @ y / n)
        return np.sum((y - z @ w) ** 2) / np.sum(y ** 2)

    return nmse(a), (nmse(eps) if noise.kind != "none" else 1.0), nmse(o)


@pytest.mark.parametrize("latent", ["true", "surrogate"])
@pytest.mark.parametrize("kind, sigma", [("none", 0.0), ("iid", 0.7), ("exo", 1.5)])
def test_closed_form_matches_sampled_least_squares(latent, kind, sigma):
    rng = np.random.default_rng(0)
    env = data.environment_f64(0, D_O, D_A, D_B)
    params = _params(rng)
    noise = Noise(kind, sigma, env["noise_map"] if kind == "exo" else None)
    loadings = (true_latent_loadings if latent == "true" else surrogate_latent_loadings)(params, env["action_effect"])
    exact = latent_terms(*loadings, noise, ridge=1e-4)
    sampled = _monte_carlo(params, env, noise, latent, ridge=1e-4)
    assert 0.02 < exact.nmse_action < 0.98 and 0.02 < exact.nmse_obs < 0.995
    np.testing.assert_allclose([exact.nmse_action, exact.nmse_noise, exact.nmse_obs], sampled, atol=0.01)


def test_population_loss_matches_samples():
    rng = np.random.default_rng(2)
    env = data.environment_f64(0, D_O, D_A, D_B)
    params = _params(rng)
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
    """SPEC section 4: a latent coordinate holding 1e-3 o_1 and nothing else reads one whole
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
