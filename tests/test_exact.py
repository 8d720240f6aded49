"""The closed-form expected loss (docs/method.md 9.1) against the sample loss it stands for.

For each source of randomness in turn, the closed form and its gradient must
match the mean of :func:`lamsim.linear.model.loss` (and of its gradient) over
many batches within sampling error, and a closed form that drops or mis-weights
that source's term must not: every case also checks that such a mutant is
rejected by the same statistic, so a pass means the test could have failed.
"""
import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jitted
import montecarlo
from lamsim import Axis, Setting, Sweep, run_sweep
from lamsim.linear import exact, model, world
from lamsim.linear.model import Params
from lamsim.linear.train import knobs_of

# Padded shapes; the settings use d_a 6 and d_z 10, so the masks are exercised.
D_O, D_A, D_Z, D_B = 32, 8, 12, 8
BASE = Setting(d_o=D_O, d_a=6, d_z=10, d_b=D_B)
CHUNK = 2000
Z_MAX = 4.5          # |z| of the loss value
GRAD_Z2_MAX = 1.6    # mean squared z-score of a gradient leaf (1 when unbiased)
EXACT_TEST_STEPS = 1000


def _params(seed: int) -> Params:
    """Every entry random, padded ones included: only the masks may hide them."""
    return montecarlo.random_params(seed, D_O, D_A, D_Z)


@functools.lru_cache(maxsize=None)
def _sample_sums(batch: int):
    """jit: (sum, sum of squares) over a chunk of batches of the sample loss and its gradient."""
    def one(params, knobs, env, key):
        raw = world.raw_batch(key, batch, D_O, D_A, D_B, iid=True, exo=True, augment=True, labels=True)
        src = model.sources(raw, env.policy_map, env.noise_map)
        return jax.value_and_grad(model.loss)(params, src, knobs, env.action_effect)

    def sums(params, knobs, env, keys):
        values = jax.vmap(one, (None, None, None, 0))(params, knobs, env, keys)
        return jax.tree.map(lambda v: v.sum(0), values), jax.tree.map(lambda v: jnp.square(v).sum(0), values)

    return jax.jit(sums)


def _sample_moments(setting: Setting, params, env, n_batches: int):
    """(mean, standard error of the mean) of (loss, grads) over ``n_batches`` batches, float64."""
    knobs = montecarlo.knobs(setting)
    return montecarlo.moments(lambda keys: _sample_sums(setting.batch)(params, knobs, env, keys), n_batches, CHUNK)


def _scores(candidate, mean, sem):
    """(z of the loss, {leaf: mean squared z over its entries}) of ``candidate`` = (loss, grads)."""
    value, grads = jax.tree.map(lambda v: np.asarray(v, np.float64), candidate)
    z_loss = (value - mean[0]) / sem[0]
    z2 = {}
    for name, g, m, s in zip(Params._fields, grads, mean[1], sem[1]):
        live = s > 0
        # Entries the masks hide have no sampling variance: the closed form must give exactly 0 there too.
        np.testing.assert_array_equal(g[~live], 0.0, err_msg=f"grad {name} on masked entries")
        if live.any():  # without labels, E gets no gradient at all
            z2[name] = float(np.mean(((g - m)[live] / s[live]) ** 2))
    return z_loss, z2


def _frob2(m):
    return jnp.sum(jnp.square(m))


def _parts(params, knobs, env, setting):
    """Independent float32 transcriptions of single terms of docs/method.md 9.1 (unpadded)."""
    d_a, d_z = setting.d_a, setting.d_z
    a, b = params.A, params.B[:, :d_z]
    c, d, e = params.C[:d_z], params.D[:d_z], params.E[:d_a, :d_z]
    x, pi, y = env.action_effect[:, :d_a], env.policy_map[:d_a], env.noise_map
    eye = jnp.eye(D_O)
    m, n = a + b @ c, b @ d - eye
    t = eye + setting.chi * x @ pi
    v = e @ d @ x - jnp.eye(d_a)
    action = (_frob2(e @ (c + d) + setting.chi * v @ pi) + (1 - setting.chi) ** 2 * _frob2(v)
              + setting.sigma_iid ** 2 * _frob2(e @ d) + setting.sigma_exo ** 2 * _frob2(e @ d @ y)
              + setting.kappa ** 2 * _frob2(e @ (c + d))) / d_a
    return {
        "policy": (1 - setting.chi) ** 2 * _frob2(n @ x) / D_O,
        "iid": setting.sigma_iid ** 2 * _frob2(n) / D_O,
        "exo": setting.sigma_exo ** 2 * _frob2(n @ y) / D_O,
        "chi": (_frob2(m + n @ t) - _frob2(m + n)) / D_O,
        "kappa_fdm": setting.kappa ** 2 * _frob2(a - eye) / D_O,
        "kappa_idm": setting.kappa ** 2 * _frob2(b @ (c + d)) / D_O,
        "action": action,
    }


def _weight(setting):
    return 1 - (1 - setting.label_rate) ** setting.batch


#: name: (setting, batches, mutants). A mutant is the closed form plus a wrong
#: correction built from the parts: dropping a term, or a wrong label weight.
CASES = {
    "no noise": (BASE, 8000, {"drop (1 - chi)^2 ||N X||^2": lambda p, s: -p["policy"]}),
    "iid": (BASE.replace(noise="iid", sigma=0.7), 8000, {"drop sigma_iid^2 ||N||^2": lambda p, s: -p["iid"]}),
    "exo": (BASE.replace(noise="exo", sigma=1.5), 8000, {"drop sigma_exo^2 ||N Y||^2": lambda p, s: -p["exo"]}),
    "chi": (BASE.replace(chi=0.6), 8000, {"T = I (o' ignores chi Pi o)": lambda p, s: -p["chi"]}),
    "augmentation": (BASE.replace(kappa=0.3), 8000, {
        "drop kappa^2 ||A - I||^2": lambda p, s: -p["kappa_fdm"],
        "drop kappa^2 ||B (C + D)||^2": lambda p, s: -p["kappa_idm"],
    }),
    # batch 4: a batch holds no label with probability 0.24, so 1 - (1 - lambda)^batch differs from 1 and lambda.
    # E's gradient is zero in the unlabelled batches, so its spread is heavy-tailed and its standard error
    # settles slowly: at 20,000 batches E's mean squared z was 1.65 (a fluke of the error estimate; 0.93 at 80,000).
    "labels": (BASE.replace(label_rate=0.3, batch=4), 80000, {
        "weight lambda": lambda p, s: (s.label_rate - _weight(s)) * p["action"],
        "weight 1": lambda p, s: (1 - _weight(s)) * p["action"],
    }),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_closed_form_is_the_mean_of_the_sample_loss(case):
    setting, n_batches, mutants = CASES[case]
    env = world.environment(3, D_O, D_A, D_B)
    params = _params(7)
    knobs = montecarlo.knobs(setting)
    mean, sem = _sample_moments(setting, params, env, n_batches)

    def closed(p):
        return exact.expected_loss(p, knobs, env, setting.batch)

    z, z2 = _scores(jax.value_and_grad(closed)(params), mean, sem)
    assert abs(z) < Z_MAX, (case, z, mean[0], sem[0])
    assert max(z2.values()) < GRAD_Z2_MAX, (case, z2)
    for name, correction in mutants.items():
        def wrong(p, correction=correction):
            return closed(p) + correction(_parts(p, knobs, env, setting), setting)

        z_bad, z2_bad = _scores(jax.value_and_grad(wrong)(params), mean, sem)
        # The same statistics must reject the mutant, in the value and in the gradient.
        assert abs(z_bad) > 3 * Z_MAX, (case, name, z_bad)
        assert max(z2_bad.values()) > 3 * GRAD_Z2_MAX, (case, name, z2_bad)


def test_label_weight_is_the_chance_of_a_labelled_sample():
    rates = jnp.asarray([0.0, 0.01, 0.3, 1.0])
    chex.assert_trees_all_close(exact.label_weight(rates, 128), 1 - (1 - rates) ** 128, rtol=1e-6)
    chex.assert_trees_all_close(exact.label_weight(jnp.float32(0.01), 128), jnp.float32(0.723748), atol=2e-6)


def test_expected_loss_is_a_scalar_that_vmaps_over_settings():
    settings = [BASE, BASE.replace(noise="exo", sigma=1.0, chi=0.3, kappa=0.1, label_rate=0.01, d_z=4)]
    env = world.environment(0, D_O, D_A, D_B)
    params = _params(0)
    knobs = knobs_of(settings)
    batched = jax.jit(jax.vmap(exact.expected_loss, (None, 0, None, None)), static_argnums=3)(params, knobs, env, 128)
    chex.assert_shape(batched, (2,))
    one = [jitted.expected_loss(params, jax.tree.map(lambda v: v[i], knobs), env, 128) for i in range(2)]
    chex.assert_trees_all_close(batched, jnp.stack(one), rtol=1e-6)
    chex.assert_shape(one[0], ())


@pytest.mark.parametrize("flag, setting", [
    ("iid", BASE.replace(noise="exo", sigma=1.0, chi=0.3, kappa=0.2, label_rate=0.1)),
    ("exo", BASE.replace(noise="iid", sigma=0.5, chi=0.3, kappa=0.2, label_rate=0.1)),
    ("augment", BASE.replace(noise="exo", sigma=1.0, chi=0.3, label_rate=0.1)),
    ("labels", BASE.replace(noise="iid", sigma=0.5, chi=0.3, kappa=0.2)),
])
@pytest.mark.slow
def test_leaving_out_a_source_the_setting_does_not_use_changes_nothing(flag, setting):
    env = world.environment(0, D_O, D_A, D_B)
    params = _params(1)
    knobs = montecarlo.knobs(setting)
    full = jax.value_and_grad(exact.expected_loss)(params, knobs, env, 128)
    without = jax.value_and_grad(functools.partial(exact.expected_loss, **{flag: False}))(params, knobs, env, 128)
    chex.assert_trees_all_close(without, full, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_exact_profile_reaches_the_pca_floor():
    r = run_sweep(Sweep("exact", Setting(noise="exo", sigma=1.0, profile="exact", steps=EXACT_TEST_STEPS),
                        axes=(Axis.of("d_z", [4, 8, 12]),), seeds=1))
    loss, floor = r.arrays["loss"][:, 0], r.arrays["pca_floor"][:, 0]
    assert np.all(loss >= floor - 1e-6), (loss, floor)
    assert np.all(loss - floor <= np.maximum(0.01 * floor, 2e-4)), (loss, floor)

