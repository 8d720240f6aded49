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

from lamsim.errors import InputError
from lamsim.linear import exact, model, world
from lamsim.linear.model import Params
from lamsim.linear.settings import Setting
from lamsim.linear.train import knobs_of

D_O, D_A, D_Z, D_B = 24, 4, 6, 4
BATCHES = 2000
Z_MAX = 4.5


def _params(seed: int, learn_a: bool = True, idm: str = "full") -> Params:
    rng = np.random.default_rng(seed)
    shapes = {"A": (D_O, D_O), "B": (D_O, D_Z), "C": (D_Z, D_O), "D": (D_Z, D_O), "E": (D_A, D_Z)}
    p = {n: rng.standard_normal(s) / np.sqrt(s[1]) for n, s in shapes.items()}
    p["A"] = 0.5 * p["A"] + np.eye(D_O)
    if not learn_a:
        p["A"] = np.zeros((0, 0))
    if idm == "difference":
        p["D"] = np.zeros((0, 0))
    return Params(**{n: jnp.asarray(v, jnp.float32) for n, v in p.items()})


@functools.lru_cache(maxsize=None)
def _sampled(batch: int, mask: bool):
    """jit: per-batch (loss, grads) of the sample loss over a vector of keys."""
    def one(params, knobs, env, key):
        raw = world.raw_batch(key, batch, D_O, D_A, D_B, iid=False, exo=False, augment=True, labels=True,
                              state=True)
        src = model.sources(raw, env.policy_map, env.noise_map, mask)
        return jax.value_and_grad(model.loss)(params, src, knobs, env.action_effect)

    return jax.jit(jax.vmap(one, (None, None, None, 0)))


CASES = [
    # A learned, full IDM, policy, augmentation, labels, an imperfect mask (3 of 4 exogenous
    # directions, 1 action direction), sigma_e > 1 and rho in (0, 1).
    (Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=1.5, rho=0.5, chi=0.3, kappa=0.2,
             label_rate=0.3, mask_weight=0.3, mask_cover=3, mask_leak=1, batch=16), "full"),
    # A fixed to I, sigma_e < 1, an oscillating background (rho < 0), a perfect mask shape.
    (Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=0.7, rho=-0.5, chi=0.4, kappa=0.1,
             label_rate=0.5, mask_weight=0.5, learn_a=False, batch=16), "full"),
    # The difference IDM, a slow loud background, no mask.
    (Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo-state", sigma=2.0, rho=0.9, label_rate=0.2,
             idm="difference", batch=16), "difference"),
]
MUTANTS = {"sigma_state": 1.1, "rho": -1.0, "mask_weight": 0.0}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"sigma{c[0].sigma}-rho{c[0].rho}-{c[1]}-A{c[0].learn_a}")
def test_expected_loss_matches_sampled_losses(case):
    """The closed form (float32, the ``exact`` profile's) within Z_MAX standard errors of the mean
    sample loss over BATCHES batches, and each gradient leaf's mean squared z-score near 1; a closed form
    with sigma_e, rho or beta moved is rejected by the loss's z-score."""
    s, idm = case
    env = world.environment(0, D_O, D_A, D_B, state=True)
    knobs = jax.tree.map(lambda v: v[0], knobs_of([s]))
    params = _params(3, s.learn_a, idm)
    keys = jax.random.split(jax.random.key(7), BATCHES)
    values, grads = jax.tree.map(lambda v: np.asarray(v, np.float64),
                                 _sampled(s.batch, s.mask_active)(params, knobs, env, keys))
    flags = dict(iid=False, exo=False, augment=True, labels=True, state=True, mask=s.mask_active)
    closed, closed_grads = jax.value_and_grad(exact.expected_loss)(params, knobs, env, s.batch, **flags)
    sem = values.std() / np.sqrt(BATCHES)
    assert abs(float(closed) - values.mean()) / sem < Z_MAX, (float(closed), values.mean(), sem)
    for name, g, sample in zip(Params._fields, closed_grads, grads):
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
        wrong = exact.expected_loss(params, mutant, env, s.batch, **flags)
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
    knobs = jax.tree.map(lambda v: v[0], knobs_of([s]))
    raw = world.raw_batch(jax.random.key(1), 50_000, D_O, D_A, D_B, iid=False, exo=False, augment=False,
                          labels=False, state=True)
    src = model.sources(raw, env.policy_map, env.noise_map)
    a_mask = jnp.ones(D_A)
    o, a, o_next = (np.asarray(v, np.float64) for v in model.state_transition(src, knobs, env.action_effect, a_mask))
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
