"""Exogenous state with its own dynamics (lamsim/linear/state.py): the world, the closed-form expected
loss against sampled losses, and the bad values each refused with a one-line error naming its field.

Every loss case also checks that a neighbouring closed form (one knob moved) is rejected by the same
statistic, so a pass means the test could have failed.
"""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import montecarlo
from lamsim.errors import InputError
from lamsim.linear import exact, model, world
from lamsim.linear.model import Params
from lamsim.linear.settings import Setting

D_O, D_A, D_Z, D_B = 24, 4, 6, 4
BATCHES = 2000
Z_MAX = 4.5


def _params(seed: int, learn_a: bool = True, idm: str = "full") -> Params:
    return montecarlo.random_params(seed, D_O, D_A, D_Z, learn_a=learn_a, idm=idm)


@functools.lru_cache(maxsize=None)
def _world(n: int):
    """jit: (o, a, o', e, xi), each [n, .], drawn by the training code's own sampler (chi from the knobs)."""
    def draw(key, knobs, env):
        raw = world.raw_batch(key, n, D_O, D_A, D_B, iid=False, exo=False, augment=False, labels=False, state=True)
        src = model.sources(raw, env.policy_map, env.noise_map)
        return (*model.state_transition(src, knobs, env.action_effect, jnp.ones(D_A)), raw.exo, raw.innovation)

    return jax.jit(draw)


@functools.lru_cache(maxsize=None)
def _closed(batch: int, mask: bool):
    """jit: (expected loss, its gradient) of the exogenous-state world."""
    flags = dict(iid=False, exo=False, augment=True, labels=True, state=True, mask=mask)
    return jax.jit(jax.value_and_grad(lambda p, k, e: exact.expected_loss(p, k, e, batch, **flags)))


@functools.lru_cache(maxsize=None)
def _sampled(batch: int, mask: bool, grads: bool):
    """jit: per-batch loss (and, with ``grads``, its gradient) of the sample loss over a vector of keys."""
    def one(params, knobs, env, key):
        raw = world.raw_batch(key, batch, D_O, D_A, D_B, iid=False, exo=False, augment=True, labels=True,
                              state=True)
        src = model.sources(raw, env.policy_map, env.noise_map, mask)
        if not grads:
            return model.loss(params, src, knobs, env.action_effect), None
        return jax.value_and_grad(model.loss)(params, src, knobs, env.action_effect)

    return jax.jit(jax.vmap(one, (None, None, None, 0)))


CASES = [
    # A learned, full IDM, policy, augmentation, labels, an imperfect mask (3 of 4 exogenous
    # directions, 1 action direction), sigma_e > 1 and rho in (0, 1).
    (Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=1.5, rho=0.5, chi=0.3, kappa=0.2,
             label_rate=0.3, mask_weight=0.3, mask_cover=3, mask_leak=1, batch=16), "full"),
    # A fixed to I, the difference IDM, sigma_e < 1, an oscillating background (rho < 0), a perfect mask shape.
    (Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=0.7, rho=-0.5, chi=0.4, kappa=0.1,
             label_rate=0.5, mask_weight=0.5, learn_a=False, idm="difference", batch=16), "difference"),
]
MUTANTS = {"sigma_state": 1.1, "rho": -1.0, "mask_weight": 0.0}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"sigma{c[0].sigma}-rho{c[0].rho}-{c[1]}-A{c[0].learn_a}")
def test_expected_loss_matches_sampled_losses(case):
    """The closed form (float32, the ``exact`` profile's) within Z_MAX standard errors of the mean
    sample loss over BATCHES batches, and (A learned) each gradient leaf's mean squared z-score near 1; a closed form
    with sigma_e, rho or beta moved is rejected by the loss's z-score."""
    s, idm = case
    env = world.environment(0, D_O, D_A, D_B, state=True)
    knobs = montecarlo.knobs(s)
    params = _params(3, s.learn_a, idm)
    keys = jax.random.split(jax.random.key(7), BATCHES)
    with_grads = s.learn_a  # one case checks the gradient too (a second compile of it costs 5 s)
    values, grads = jax.tree.map(lambda v: np.asarray(v, np.float64),
                                 _sampled(s.batch, s.mask_active, with_grads)(params, knobs, env, keys))
    closed, closed_grads = _closed(s.batch, s.mask_active)(params, knobs, env)
    sem = values.std() / np.sqrt(BATCHES)
    assert abs(float(closed) - values.mean()) / sem < Z_MAX, (float(closed), values.mean(), sem)
    for name, g, sample in zip(Params._fields, closed_grads, grads) if with_grads else ():
        if g.size == 0:
            continue
        se = sample.std(0) / np.sqrt(BATCHES)
        live = se > 0
        z2 = np.mean(((np.asarray(g, np.float64) - sample.mean(0))[live] / se[live]) ** 2)
        assert z2 < 1.6, (name, z2)
    for field, factor in MUTANTS.items():
        if field == "mask_weight" and not s.mask_active:
            continue
        mutant = knobs._replace(**{field: getattr(knobs, field) * factor})
        wrong, _ = _closed(s.batch, s.mask_active)(params, mutant, env)
        assert abs(float(wrong) - values.mean()) / sem > Z_MAX, field


@pytest.mark.slow
def test_the_world_is_stationary_and_its_change_holds_drift_and_innovation():
    """o = u + sigma_e P e has covariance I + (sigma_e^2 - 1) P P^T, P orthogonal to X; o' has the same
    covariance (a stationary AR(1)); the change's P part has variance 2 sigma_e^2 (1 - rho) per direction."""
    s = Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=1.5, rho=-0.5)
    env = world.environment(0, D_O, D_A, D_B, state=True)
    p, x = np.asarray(env.noise_map, np.float64), np.asarray(env.action_effect, np.float64)
    np.testing.assert_allclose(x.T @ p, 0.0, atol=1e-6)
    np.testing.assert_allclose(p.T @ p, np.eye(D_B), atol=1e-6)
    np.testing.assert_array_equal(world.environment_f64(0, D_O, D_A, D_B, True)["action_effect"],
                                  world.environment_f64(0, D_O, D_A, D_B)["action_effect"])
    knobs = montecarlo.knobs(s)
    o, a, o_next, _, _ = (np.asarray(v, np.float64) for v in _world(50_000)(jax.random.key(1), knobs, env))
    want = np.eye(D_O) + (1.5 ** 2 - 1) * p @ p.T
    np.testing.assert_allclose(np.cov(o.T), want, atol=0.06)
    np.testing.assert_allclose(np.cov(o_next.T), want + x @ x.T, atol=0.08)
    change = (o_next - o) @ p
    np.testing.assert_allclose(change.var(0), 2 * 1.5 ** 2 * 1.5, rtol=0.05)


@pytest.mark.parametrize("fields, named", [
    (dict(noise="exo-state", sigma=1.0, rho=-1.0), "rho"),
    (dict(noise="exo-state", sigma=1.0, rho=1.2), "rho"),
    (dict(noise="exo-state", sigma=1.0, mask_weight=1.5), "mask_weight"),
    (dict(noise="exo-state", sigma=1.0, mask_weight=-0.1), "mask_weight"),
    (dict(noise="exo-state", sigma=1.0, d_o=12, d_a=8, d_b=8, d_z=4), "d_b"),
    (dict(noise="exo-state", sigma=0.0), "sigma"),
    (dict(noise="exo-state", sigma=1.0, mask_cover=9), "mask_cover"),
    (dict(noise="exo-state", sigma=1.0, mask_leak=9), "mask_leak"),
    (dict(noise="exo", sigma=1.0, rho=0.5), "rho"),
    (dict(noise="exo-state", sigma=1.0, profile="faithful-exact"), "profile"),
])
def test_bad_values_are_refused_in_one_line_naming_the_field(fields, named):
    with pytest.raises(InputError) as e:
        Setting(**fields)
    message = str(e.value)
    assert message.startswith(f"{named}=") and "\n" not in message


def _state_env(d_o=D_O):
    return world.environment_f64(0, d_o, D_A, D_B, True)


@pytest.mark.slow
@pytest.mark.parametrize("latent", ["true", "surrogate"])
def test_exact_reading_agrees_with_sampled_least_squares_probes(latent):
    """nMSE(a), nMSE(xi), nMSE(o), nMSE(e) of a random model's latent, closed form (ridge 0) against
    least-squares probes fitted on 60,000 samples drawn by the training code's own sampler (chi = 0:
    a independent of o) and scored on 60,000 fresh ones; the same probes reject the closed form of a
    world with sigma_e 1 instead of 1.5 (o isotropic)."""
    from lamsim.linear import state

    s = Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=1.5, rho=-0.4, latent=latent)
    env = _state_env()
    p = {k: np.asarray(v, np.float64) for k, v in _params(4)._asdict().items()}
    read = state.terms(s, state.latent_blocks(s, p, env), env, 0.0)
    wrong = state.terms(s.replace(sigma=1.0), state.latent_blocks(s.replace(sigma=1.0), p, env), env, 0.0)
    knobs = montecarlo.knobs(s)
    jenv = world.Environment(*(jnp.asarray(env[k], jnp.float32) for k in world.Environment._fields))

    def draw(key):
        o, a, o_next, e, xi = (np.asarray(v, np.float64) for v in _world(60_000)(key, knobs, jenv))
        z = o @ p["C"].T + o_next @ p["D"].T
        if latent == "surrogate":
            z = (o @ (p["A"] - np.eye(D_O)).T + z @ p["B"].T) @ np.linalg.pinv(p["B"]).T
        return z, {"action": a, "noise": xi, "obs": o, "state": e}

    z_fit, fit = draw(jax.random.key(11))
    z_score, score = draw(jax.random.key(12))
    for target in ("action", "noise", "obs", "state"):
        w = np.linalg.lstsq(z_fit, fit[target], rcond=None)[0]
        sampled = np.sum((score[target] - z_score @ w) ** 2) / np.sum(score[target] ** 2)
        assert sampled == pytest.approx(read[f"nmse_{target}"], abs=0.01), target
    assert max(abs(wrong[f"nmse_{t}"] - read[f"nmse_{t}"]) for t in ("obs", "state")) > 0.05


@pytest.mark.parametrize("sigma, rho, learn_a, llo, nmse_state", [
    (1.0, -0.5, True, 2.0, 1.0), (1.0, -0.5, False, 0.703125, 0.25),
    (1.5, 0.5, True, 0.2173913, 0.75), (1.5, 0.5, False, 0.2173913, 0.75),
    (2.0, 0.9, True, 2.0, 1.0), (2.0, 0.9, False, 2.0, 1.0),
])
def test_theory_worked_values(sigma, rho, learn_a, llo, nmse_state):
    """d_o 128, d_a = d_b = d_z = 8, surrogate latent: the closed forms of docs/method.md."""
    from lamsim.linear import state

    s = Setting(noise="exo-state", sigma=sigma, rho=rho, learn_a=learn_a)
    t = state.theory_metrics(s, world.environment_f64(0, 128, 8, 8, True), 1e-4)
    assert t["theory_llo"] == pytest.approx(llo, abs=2e-4) and t["theory_nmse_state"] == pytest.approx(nmse_state,
                                                                                                        abs=2e-4)


@pytest.mark.parametrize("learn_a, idm, mask", [(True, "full", 1.0), (False, "full", 1.0), (True, "difference", 1.0),
                                                (True, "full", 0.3), (False, "difference", 0.4)])
def test_the_thresholds_and_the_optimum_reach_the_floor(learn_a, idm, mask):
    """The theory's latent flips from the exogenous directions to the action exactly at the threshold
    (A learned: beta sigma_e^2 (1 - rho^2) = 1; A = I: 2 beta sigma_e^2 (1 - rho) = 1, a perfect mask of
    weight beta); at the subspace parameters the float64 expected loss equals the weighted PCA floor."""
    from lamsim.linear import state

    env = _state_env()
    for rho in (-0.6, 0.0, 0.5, 0.8):
        excess = mask * (1 - rho ** 2) if learn_a else 2 * mask * (1 - rho)
        for side in (0.97, 1.03):  # sigma_e^2 * excess = side
            s = Setting(d_o=D_O, d_a=D_A, d_b=D_B, d_z=D_A, noise="exo-state", sigma=float(np.sqrt(side / excess)),
                        rho=rho, learn_a=learn_a, idm=idm, mask_weight=mask)
            t = state.theory_metrics(s, env, 1e-4)
            assert (t["theory_nmse_action"] < 1e-3) == (side < 1), (rho, side, t)
    s = Setting(d_o=D_O, d_a=D_A, d_b=D_B, d_z=D_Z, noise="exo-state", sigma=1.3, rho=0.2, chi=0.3, learn_a=learn_a,
                idm=idm, mask_weight=mask, mask_cover=3)
    p = state.subspace_params(s, env, state.principal_directions(s, env))
    with jax.enable_x64(True):
        from lamsim.linear.optimum import _knobs

        jenv = world.Environment(*(jnp.asarray(env[k]) for k in world.Environment._fields))
        params = Params(**{k: jnp.asarray(p[k]) for k in "ABCD"}, E=jnp.zeros((D_A, D_Z)))
        value = exact.expected_loss(params, _knobs(s), jenv, 128, iid=False, exo=False, augment=False, labels=False,
                                    state=True, mask=s.mask_active)
    if mask == 1.0:  # without a mask the start is the optimum; with one, it only starts there
        assert float(value) == pytest.approx(state.theory_metrics(s, env, 1e-4)["pca_floor"], abs=1e-10)
    assert float(value) == pytest.approx(state.population_loss(s, p, env), abs=1e-10)

