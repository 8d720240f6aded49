"""Trained linear LAMs (fast profile) against the PCA theory (Prop. 4.1, 4.2, 4.3)."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from lamsim import Axis, Setting, Sweep, run_sweep
from lamsim.linear import train


def _run(base, axes, seeds=3):
    return run_sweep(Sweep("test", base, axes=axes, seeds=seeds))


@pytest.mark.slow
def test_trained_loss_reaches_the_pca_floor():
    r = _run(Setting(noise="iid"), (Axis("sigma", (0.0, 0.5, 1.0), ({"noise": "none", "sigma": 0.0},
                                                                    {"sigma": 0.5}, {"sigma": 1.0})),
                                    Axis.of("d_z", [4, 8, 12])), seeds=1)
    loss, floor = r.arrays["loss"][..., 0], r.arrays["pca_floor"][..., 0]
    tolerance = np.maximum(0.01 * floor, 0.002 * (floor < 1e-3))
    assert np.all(loss >= floor - 1e-6)
    assert np.all(loss - floor <= tolerance), (loss, floor)


@pytest.mark.slow
@pytest.mark.parametrize("base, d_z, expected", [
    (Setting(), [4, 8], [1.5, 2.0]),
    (Setting(noise="iid", sigma=0.5), [8], [1.7875]),
    (Setting(noise="exo", sigma=2.0), [8, 16], [0.06, 1.0]),
])
def test_trained_llo_matches_the_worked_values(base, d_z, expected):
    r = _run(base, (Axis.of("d_z", d_z),))
    np.testing.assert_allclose(r.arrays["llo"].mean(-1), expected, atol=0.03)
    # The surrogate latent of a trained model sits on the PCA-optimal latent's LLO.
    np.testing.assert_allclose(r.arrays["llo"], r.arrays["theory_llo"], atol=0.03)


@pytest.mark.slow
def test_augmentation_removes_the_observation_from_the_true_latent():
    r = _run(Setting(latent="true"), (Axis.of("kappa", [0.0, 0.1]),))
    llo, a_minus_i, c_plus_d = r.arrays["llo"], r.arrays["a_minus_i"], r.arrays["c_plus_d"]
    assert np.all(llo[0] < 1.2), llo[0]
    assert np.all(llo[1] > 1.98) and np.all(a_minus_i[1] < 0.02) and np.all(c_plus_d[1] < 0.05)
    assert np.all(a_minus_i[0] > 0.5)


@pytest.mark.slow
def test_same_seed_same_numbers():
    base = Setting(noise="iid", steps=300)
    axes = (Axis.of("sigma", [0.2, 0.6]),)
    first, second = _run(base, axes, seeds=2), _run(base, axes, seeds=2)
    chex.assert_trees_all_equal({m: first.arrays[m] for m in ("llo", "loss", "alignment")},
                                {m: second.arrays[m] for m in ("llo", "loss", "alignment")})


def _train_alone(setting, seed, data_key):
    """Adam on ``setting`` by hand, one batch at a time, every batch drawn from
    ``data_key`` folded with the step: a reference outside the sweep runner."""
    import jax
    import optax

    from lamsim.linear import model, train, world

    knobs = jax.tree.map(lambda x: x[0], train.knobs_of([setting]))
    env = world.environment(seed, setting.d_o, setting.d_a, setting.d_b)
    params = model.init_params(train._keys(seed)[0], knobs, setting.d_o, setting.d_a, setting.d_z)
    opt = train.optimizer(setting.profile, setting.train_steps)

    @jax.jit
    def step(params, state, key):
        raw = world.raw_batch(key, setting.batch, setting.d_o, setting.d_a, setting.d_b,
                              iid=True, exo=False, augment=False, labels=False)
        grads = jax.grad(model.loss)(params, model.sources(raw, env.policy_map, env.noise_map), knobs,
                                     env.action_effect)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    state = opt.init(params)
    for k in range(setting.train_steps):
        params, state = step(params, state, jax.random.fold_in(data_key, k))
    return params


@pytest.mark.slow
def test_settings_of_one_seed_train_on_the_same_batches():
    """Common random numbers: in one sweep, two settings of a seed (different
    noise scales) each match a hand-written run whose batches come from that
    seed's data key alone, so both trained on the same batches. The control: a
    per-setting data key, as a runner without common random numbers would use,
    does not match."""
    import jax

    from lamsim.linear import train
    from lamsim.linear.evaluate import evaluate_run
    from lamsim.linear.world import environment_f64

    base = Setting(noise="iid", d_z=4, steps=5, profile="fast")
    swept = _run(base, (Axis.of("sigma", [0.2, 0.6]),), seeds=1)
    env = environment_f64(0, base.d_o, base.d_a, base.d_b)
    data_key = train._keys(0)[1]
    for k, sigma in enumerate((0.2, 0.6)):
        setting = base.replace(sigma=sigma)
        same = evaluate_run(setting, _train_alone(setting, 0, data_key), env, 1e-4)["loss"]
        other = evaluate_run(setting, _train_alone(setting, 0, jax.random.fold_in(data_key, 1 + k)), env, 1e-4)["loss"]
        np.testing.assert_allclose(swept.arrays["loss"][k, 0], same, rtol=1e-5)
        assert abs(swept.arrays["loss"][k, 0] - other) > 1e-4


@pytest.mark.slow
def test_settings_read_differently_train_once():
    base = Setting(noise="exo", sigma=1.0, steps=50)
    r = _run(base, (Axis.of("latent", ["true", "surrogate"]), Axis.of("probe", ["interventional", "policy-fit"])),
             seeds=2)
    assert r.meta["trained_settings"] == 1
    np.testing.assert_array_equal(r.arrays["loss"][0, 0], r.arrays["loss"][1, 1])
    assert np.all(r.arrays["llo"][0, 0] != r.arrays["llo"][1, 0])


@pytest.mark.slow
def test_padding_a_sweep_does_not_change_a_run():
    base = Setting(noise="iid", sigma=0.3, steps=500)
    padded = _run(base, (Axis.of("d_z", [2, 16]), Axis.of("d_a", [2, 8])), seeds=1)
    alone = _run(base.replace(d_z=2, d_a=2), (), seeds=1)
    for m in ("llo", "loss", "alignment"):
        np.testing.assert_allclose(padded.arrays[m][0, 0], alone.arrays[m], atol=1e-4)


@pytest.mark.slow
def test_a_training_curve_ends_where_training_ends():
    base = Setting(noise="iid", sigma=0.5, profile="exact", steps=120)
    axes = (Axis.of("d_z", [4, 8]),)
    curve = run_sweep(Sweep("curve", base, axes, seeds=2, curve=4))
    plain = run_sweep(Sweep("plain", base, axes, seeds=2))
    assert curve.dims == ("d_z", "step", "seed") and list(curve.coords["step"]) == [30, 60, 90, 120]
    chex.assert_shape(curve.arrays["llo"], (2, 4, 2))
    chex.assert_trees_all_close(curve.arrays["loss"][:, -1], plain.arrays["loss"], rtol=1e-6)
    assert np.all(np.diff(curve.arrays["loss"], axis=1) < 0)  # the expected loss falls along the way
    with pytest.raises(ValueError, match="curve=200 is invalid: must be <= steps=120"):
        Sweep("c", base, axes, curve=200)
    with pytest.raises(ValueError, match="different step counts"):
        Sweep("c", base, (Axis.of("steps", [100, 120]),), curve=2)


def _adam_fed_the_variance(grads, variance, state, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Adam whose second moment averages G^2 + Var: the hand-rolled update the trainer used before
    the optax transformation, written out as the definition (count, mu, nu)."""
    count, mu, nu = state
    count = count + 1
    mu = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, mu, grads)
    nu = jax.tree.map(lambda n, g, v: b2 * n + (1 - b2) * (g * g + v), nu, grads, variance)
    t = jnp.float32(count)
    step = jax.tree.map(lambda m, n: -lr * (m / (1 - b1 ** t)) / (jnp.sqrt(n / (1 - b2 ** t)) + eps), mu, nu)
    return step, (count, mu, nu)


def test_meanfield_adam_is_the_variance_fed_adam_update():
    """train.meanfield_adam (an optax GradientTransformationExtraArgs taking ``variance=``) follows
    Adam fed G^2 + Var within float32 over 300 steps of a quadratic; with Var = 0 it is optax's Adam."""
    key = jax.random.key(0)
    target = {"a": jax.random.normal(key, (6, 5)), "b": jax.random.normal(jax.random.fold_in(key, 1), (5,))}
    variance = jax.tree.map(lambda x: 0.3 * jnp.abs(x), target)
    grad = jax.grad(lambda p: sum(jnp.sum((p[k] - target[k]) ** 2) for k in p))
    opt = train.meanfield_adam(1e-2)
    ours = ref = jax.tree.map(jnp.zeros_like, target)
    state = opt.init(ours)
    ref_state = (0, *(jax.tree.map(jnp.zeros_like, target),) * 2)
    for _ in range(300):
        step, state = opt.update(grad(ours), state, ours, variance=variance)
        ours = optax.apply_updates(ours, step)
        ref_step, ref_state = _adam_fed_the_variance(grad(ref), variance, ref_state, 1e-2)
        ref = optax.apply_updates(ref, ref_step)
    chex.assert_trees_all_close(ours, ref, rtol=1e-5, atol=1e-6)
    assert float(jnp.abs(ours["a"] - target["a"]).max()) < float(jnp.abs(target["a"]).max())  # it moved
    adam, plain = optax.adam(1e-2), jax.tree.map(jnp.zeros_like, target)
    adam_state, zero = adam.init(plain), jax.tree.map(jnp.zeros_like, target)
    state = opt.init(plain)
    mine = plain
    for _ in range(50):
        step, state = opt.update(grad(mine), state, mine, variance=zero)
        mine = optax.apply_updates(mine, step)
        adam_step, adam_state = adam.update(grad(plain), adam_state, plain)
        plain = optax.apply_updates(plain, adam_step)
    chex.assert_trees_all_close(mine, plain, rtol=1e-5, atol=1e-6)
