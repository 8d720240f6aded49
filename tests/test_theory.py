import math

import numpy as np
import pytest

from lamsim.linear import world as data
from lamsim.linear.evaluate import evaluate, population_loss
from lamsim.linear.probes import Noise
from lamsim.linear.theory import optimal_latent_terms, pca_floor, residual_spectrum

ENV = data.environment_f64(0, 128, 8, 8)
NONE = Noise("none", 0.0)


def exo(sigma):
    return Noise("exo", sigma, ENV["noise_map"])


@pytest.mark.parametrize("d_z", [2, 4, 8, 12])
@pytest.mark.parametrize("sigma", [0.0, 0.5, 1.0])
def test_pca_floor_iid_matches_the_eigenvalue_tail(d_z, sigma):
    # Eigenvalues of X X^T + sigma^2 I: 1 + sigma^2 (8 times), sigma^2 (120 times).
    values = np.sort(np.r_[np.full(8, 1 + sigma ** 2), np.full(120, sigma ** 2)])[::-1]
    assert pca_floor(ENV, 0.0, Noise("iid", sigma), d_z) == pytest.approx(values[d_z:].sum() / 128)


def test_pca_floor_shrinks_the_action_by_one_minus_chi_squared():
    assert pca_floor(ENV, 0.5, NONE, 4) == pytest.approx(4 * 0.25 / 128)


@pytest.mark.parametrize("d_z, llo", [(1, 1.125), (4, 1.5), (8, 2.0), (12, 2.0), (16, 2.0)])
def test_no_noise_worked_values(d_z, llo):
    assert optimal_latent_terms(ENV, 0.0, NONE, d_z).llo == pytest.approx(llo, abs=1e-6)


@pytest.mark.parametrize("sigma", [0.1, 0.5, 1.0, 1.5])
def test_iid_noise_action_term_is_sigma2_over_one_plus_sigma2(sigma):
    t = optimal_latent_terms(ENV, 0.0, Noise("iid", sigma), 8)
    assert t.nmse_action == pytest.approx(sigma ** 2 / (1 + sigma ** 2), abs=1e-4)


def test_other_agents_loud_noise_takes_the_latent():
    assert optimal_latent_terms(ENV, 0.0, exo(2.0), 8).llo < 0.1
    assert optimal_latent_terms(ENV, 0.0, exo(2.0), 16).llo == pytest.approx(1.0, abs=1e-3)
    assert optimal_latent_terms(ENV, 0.0, exo(0.5), 8).llo > 1.9


def test_deterministic_policy_hands_the_latent_to_the_noise():
    llo = [optimal_latent_terms(ENV, chi, exo(0.5), 8).llo for chi in (0.0, 0.3, 0.7, 0.9)]
    assert llo[0] > 1.9 and llo[2] < 0.8 and llo[3] < 0.5
    assert all(a > b for a, b in zip(llo, llo[1:]))


@pytest.mark.parametrize("probe", ["interventional", "policy-fit"])
@pytest.mark.parametrize("noise", [NONE, Noise("iid", 0.5), exo(0.5)])
@pytest.mark.parametrize("d_z", [4, 8, 16])
def test_fully_deterministic_policy_has_no_theory(noise, d_z, probe):
    """At chi = 1 the optimum leaves the response to an intervened action free; a
    probe fitted on the policy's data reads that free response too."""
    assert math.isnan(optimal_latent_terms(ENV, 1.0, noise, d_z, probe=probe).llo)


def _optimal_model(env, chi, noise, d_z):
    """A LAM at the PCA optimum: B = U, D = U^T, and the representative whose true
    latent is U^T (o' - E[o' | o]) on the training data, C = -U^T (I + chi X Pi),
    A = I + chi X Pi (the FDM predicts E[o' | o])."""
    spec = residual_spectrum(env, chi, noise)
    u = spec.vectors[:, np.argsort(spec.values)[::-1][:d_z]]
    predictable = np.eye(128) + chi * env["action_effect"] @ env["policy_map"]
    return {"A": predictable, "B": u, "C": -u.T @ predictable, "D": u.T}


@pytest.mark.parametrize("probe", ["interventional", "policy-fit"])
@pytest.mark.parametrize("target", ["action", "subspace"])
@pytest.mark.parametrize("chi, noise", [(0.7, exo(0.5)), (0.5, NONE), (0.3, Noise("iid", 0.5)), (0.0, exo(2.0))])
def test_theory_is_the_surrogate_of_an_optimal_model(chi, noise, target, probe):
    """The theory's zero o-loading is the surrogate's: at the optimum its o-loading
    chi (B^+ - D) X Pi vanishes, under either protocol. The true latent of the
    same model loads -chi U^T X Pi on o and reads differently once chi > 0."""
    params = _optimal_model(ENV, chi, noise, 8)
    assert population_loss(params, ENV, chi, noise) == pytest.approx(pca_floor(ENV, chi, noise, 8), abs=1e-12)
    theory = optimal_latent_terms(ENV, chi, noise, 8, probe=probe, action_target=target)
    surrogate = evaluate(params, ENV, chi, noise, "surrogate", probe=probe, action_target=target).terms
    np.testing.assert_allclose(surrogate, theory, atol=1e-9)
    if chi > 0:
        true = evaluate(params, ENV, chi, noise, "true", probe=probe, action_target=target).terms
        assert np.max(np.abs(np.subtract(true, theory))) > 0.01


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.5])
def test_subspace_target_makes_the_iid_curve_flat(sigma):
    """With i.i.d. noise and d_z = d_a the optimum is U = X, so the latent is
    a + X^T eps, which is the subspace target itself: the action term is 0 (the
    ridge leaves 1e-8). The noise term still charges the noise inside the action
    subspace: the probe recovers d_a sigma^2 / (1 + sigma^2) of the d_o noise
    dimensions, so LLO = 2 - d_a sigma^2 / ((1 + sigma^2) d_o): 1.9875 at sigma
    0.5 and 1.9567 at 1.5, against 1.7875 and 1.2644 with the action target."""
    t = optimal_latent_terms(ENV, 0.0, Noise("iid", sigma), 8, action_target="subspace")
    assert t.nmse_action == pytest.approx(0.0, abs=1e-6)
    assert t.llo == pytest.approx(2 - 8 * sigma ** 2 / ((1 + sigma ** 2) * 128), abs=1e-5)
    action = optimal_latent_terms(ENV, 0.0, Noise("iid", sigma), 8)
    assert t.nmse_noise == action.nmse_noise and t.nmse_obs == action.nmse_obs
    assert action.llo == pytest.approx(t.llo - sigma ** 2 / (1 + sigma ** 2), abs=1e-4)


@pytest.mark.parametrize("chi", [0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
@pytest.mark.parametrize("d_z", [8, 12])
def test_policy_fit_noiseless_curve_rises_above_two(chi, d_z):
    """Without noise the optimal latent is U^T X a on the training data: the action
    probe is exact, and the o probe learns o_hat = c Pi^T a, c = chi / (chi^2 +
    (1 - chi)^2), which on intervened actions adds c^2 d_a / d_o to its error."""
    t = optimal_latent_terms(ENV, chi, NONE, d_z, probe="policy-fit")
    c = chi / (chi ** 2 + (1 - chi) ** 2)
    assert t.llo >= 2 - 1e-4
    assert t.nmse_action == pytest.approx(0.0, abs=1e-6)
    assert t.llo == pytest.approx(2 + c ** 2 * 8 / 128, abs=1e-4)


@pytest.mark.parametrize("target", ["action", "subspace"])
@pytest.mark.parametrize("noise", [NONE, Noise("iid", 0.5), exo(0.5), exo(2.0)])
@pytest.mark.parametrize("d_z", [4, 8, 16])
def test_policy_fit_theory_at_chi_zero_is_the_interventional_one(noise, d_z, target):
    a = optimal_latent_terms(ENV, 0.0, noise, d_z, probe="policy-fit", action_target=target)
    b = optimal_latent_terms(ENV, 0.0, noise, d_z, action_target=target)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
