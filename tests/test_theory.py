import math

import numpy as np
import pytest

from lamsim.linear import world as data
from lamsim.linear.probes import Noise
from lamsim.linear.theory import optimal_latent_terms, pca_floor

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


@pytest.mark.parametrize("noise", [NONE, Noise("iid", 0.5), exo(0.5)])
@pytest.mark.parametrize("d_z", [4, 8, 16])
def test_fully_deterministic_policy_has_no_theory(noise, d_z):
    assert math.isnan(optimal_latent_terms(ENV, 1.0, noise, d_z).llo)
