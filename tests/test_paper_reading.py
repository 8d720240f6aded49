"""The protocol pieces of the paper's reading (experiments/paper_reading.py): A fixed to I,
uniform i.i.d. noise, the unprojected latent, noise-free scoring and probes trained the
authors' way. Each is checked against its definition or against samples."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jitted
import montecarlo
from lamsim.linear import model, paper_probes, world
from lamsim.linear.evaluate import evaluate
from lamsim.linear.readout import LATENT_LOADINGS
from lamsim.linear.model import Params
from lamsim.linear.probes import Noise, Protocol, latent_terms
from lamsim.linear.settings import Setting
from lamsim.linear.theory import optimal_latent_terms

D_O, D_A, D_Z, D_B = 32, 4, 6, 4


def _params(seed: int, learn_a: bool = True) -> Params:
    return montecarlo.random_params(seed, D_O, D_A, D_Z, a_scale=0.3, learn_a=learn_a)


@pytest.mark.slow
@pytest.mark.parametrize("setting", [
    Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, chi=0.6, kappa=0.3, noise="iid", sigma=0.7, label_rate=0.2),
    Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, chi=0.3, noise="exo", sigma=1.5),
    Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="iid", sigma=0.9, noise_dist="uniform", kappa=0.1),
])
def test_a_fixed_to_identity_is_the_learned_loss_at_a_equal_i(setting):
    """The thin closed form used when A is fixed equals the full one at A = I, gradients included."""
    env = world.environment(2, D_O, D_A, D_B)
    fixed = _params(5, learn_a=False)
    at_identity = fixed._replace(A=jnp.eye(D_O))
    knobs = montecarlo.knobs(setting)
    kwargs = dict(uniform=setting.noise_dist == "uniform")
    v_fixed, g_fixed = jitted.expected_loss_and_grad(fixed, knobs, env, 128, **kwargs)
    v_full, g_full = jitted.expected_loss_and_grad(at_identity, knobs, env, 128, **kwargs)
    assert float(v_fixed) == pytest.approx(float(v_full), rel=1e-5)
    for name in ("B", "C", "D", "E"):
        np.testing.assert_allclose(getattr(g_fixed, name), getattr(g_full, name), rtol=1e-4, atol=1e-6)
    # The sample loss with A fixed is the one with A = I too.
    raw = jitted.raw_batch(jax.random.key(0), 64, D_O, D_A, D_B, iid=True, exo=True, augment=True, labels=True)
    src = jitted.sources(raw, env.policy_map, env.noise_map)
    assert float(jitted.sample_loss(fixed, src, knobs, env.action_effect)) == pytest.approx(
        float(jitted.sample_loss(at_identity, src, knobs, env.action_effect)), rel=1e-5)


@pytest.mark.slow
def test_uniform_noise_closed_form_is_the_mean_of_the_sample_loss():
    """Uniform noise: the closed form (covariance sigma^2/12, mean sigma/2) matches the mean
    sample loss; leaving out the mean term is rejected by the same statistic."""
    setting = Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="iid", sigma=1.2, noise_dist="uniform")
    env = world.environment(4, D_O, D_A, D_B)
    params = _params(9)
    knobs = montecarlo.knobs(setting)

    @jax.jit
    def losses(keys):
        def one(key):
            raw = world.raw_batch(key, 128, D_O, D_A, D_B, iid=True, exo=False, augment=False, labels=False,
                                  uniform=True)
            return model.loss(params, model.sources(raw, env.policy_map, env.noise_map), knobs, env.action_effect)
        return jax.vmap(one)(keys)

    samples = np.asarray(losses(jax.random.split(jax.random.key(11), 4000)), np.float64)
    mean, sem = samples.mean(), samples.std(ddof=1) / np.sqrt(samples.size)
    closed = float(jitted.expected_loss(params, knobs, env, 128, iid=True, exo=False, augment=False, labels=False,
                                        uniform=True))
    gaussian_like = float(jitted.expected_loss(params, knobs, env, 128, iid=True, exo=False, augment=False,
                                               labels=False, uniform=False))
    assert abs(closed - mean) < 4.5 * sem, (closed, mean, sem)
    # A closed form without the noise mean (covariance only) is far off.
    without_mean = closed - float(jnp.sum(jnp.square(params.B @ (params.D.sum(1) * 0.6) - 0.6))) / D_O
    assert abs(without_mean - mean) > 20 * sem
    assert abs(gaussian_like - mean) > 20 * sem


def test_unprojected_latent_is_the_predicted_change():
    """o'_hat - o = (A - I) o + B z, read off the model on explicit vectors."""
    rng = np.random.default_rng(3)
    params = {k: np.asarray(v, np.float64) for k, v in _params(1)._asdict().items() if k != "E"}
    x = np.linalg.qr(rng.standard_normal((D_O, D_A)))[0]
    o, a, eps = rng.standard_normal(D_O), rng.standard_normal(D_A), rng.standard_normal(D_O)
    o_next = o + x @ a + eps
    z = params["C"] @ o + params["D"] @ o_next
    change = params["A"] @ o + params["B"] @ z - o
    l_o, l_a, l_e = LATENT_LOADINGS["unprojected"](params, x)
    np.testing.assert_allclose(l_o @ o + l_a @ a + l_e @ eps, change, atol=1e-10)
    fixed = dict(params, A=np.zeros((0, 0)))
    l_o, l_a, l_e = LATENT_LOADINGS["unprojected"](fixed, x)
    np.testing.assert_allclose(l_o @ o + l_a @ a + l_e @ eps, params["B"] @ z, atol=1e-10)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.5])
def test_noise_free_scoring_at_the_optimum(sigma):
    """Probes fitted on z = a + n (n ~ N(0, sigma^2)) shrink by 1 / (1 + sigma^2); scored on z = a
    the action error is (sigma^2 / (1 + sigma^2))^2 and the noise error 1 + d_a sigma^2 /
    (d_o (1 + sigma^2)^2) (the noise target is a fresh draw)."""
    env = {k: v for k, v in world.environment_f64(0, 128, 8, 8).items()}
    t = optimal_latent_terms(env, 0.0, Noise("iid", sigma), 8, probe="noise-free")
    share = sigma ** 2 / (1 + sigma ** 2)
    assert t.nmse_action == pytest.approx(share ** 2, abs=1e-3)
    assert t.nmse_noise == pytest.approx(1 + 8 * sigma ** 2 / (128 * (1 + sigma ** 2) ** 2), abs=1e-4)
    assert t.nmse_obs == pytest.approx(1.0, abs=1e-6)
    # Scored where it was fitted, the action error is the shrinkage's own: sigma^2 / (1 + sigma^2).
    assert optimal_latent_terms(env, 0.0, Noise("iid", sigma), 8).nmse_action == pytest.approx(share, abs=1e-3)


def test_uniform_noise_probes_use_its_covariance():
    noise = Noise("iid", 1.2, dist="uniform")
    assert noise.scale == pytest.approx(1.2 / np.sqrt(12))
    assert noise.mean == pytest.approx(0.6)
    assert Noise("iid", 1.2).mean == 0.0


@pytest.mark.slow
def test_probes_trained_the_authors_way_match_the_closed_form_when_well_conditioned():
    """On a latent without tiny-variance directions, 5,000 Adam steps of a probe with bias reach the
    least-squares probe: the paper's reading and the exact one agree (and they part where the
    latent has a direction of tiny variance, which is where the paper reading is used)."""
    rng = np.random.default_rng(0)
    env = world.environment_f64(1, 64, 4, 4)
    noise = Noise("exo", 0.8, env["noise_map"])
    chi = 0.3
    loads = (rng.standard_normal((6, 64)) * 0.3, rng.standard_normal((6, 4)), rng.standard_normal((6, 64)) * 0.2)
    obs_loads = (rng.standard_normal((5, 64)) * 0.4, rng.standard_normal((5, 4)), rng.standard_normal((5, 64)) * 0.2)
    protocol = Protocol.of("policy-fit", "action", chi, env)
    closed = latent_terms(*loads, noise, 1e-6, protocol, obs_loads)
    design = paper_probes.design(loads, obs_loads, noise, chi, env["policy_map"], "policy-fit")
    trained, = paper_probes.read([design], [0])
    for name in ("nmse_action", "nmse_obs", "nmse_noise"):
        assert getattr(trained, name) == pytest.approx(getattr(closed, name), abs=0.01), name


def test_evaluate_reads_the_action_and_the_observation_from_different_latents():
    rng = np.random.default_rng(5)
    params = {k: np.asarray(v, np.float64) for k, v in _params(2)._asdict().items() if k != "E"}
    env = {"action_effect": np.linalg.qr(rng.standard_normal((D_O, D_A)))[0],
           "policy_map": np.linalg.qr(rng.standard_normal((D_O, D_A)))[0].T,
           "noise_map": np.linalg.qr(rng.standard_normal((D_O, D_B)))[0]}
    none = Noise("none", 0.0)
    mixed = evaluate(params, env, 0.4, none, "unprojected", probe="policy-fit", obs_latent="true")
    unprojected = evaluate(params, env, 0.4, none, "unprojected", probe="policy-fit")
    true = evaluate(params, env, 0.4, none, "true", probe="policy-fit")
    assert mixed.terms.nmse_action == pytest.approx(unprojected.terms.nmse_action, abs=1e-12)
    assert mixed.terms.nmse_obs == pytest.approx(true.terms.nmse_obs, abs=1e-12)
    assert mixed.terms.nmse_obs != pytest.approx(unprojected.terms.nmse_obs, abs=1e-3)


def test_a_config_written_before_new_setting_fields_still_matches(tmp_path):
    """A side-car whose base Setting lacks fields added later (at their defaults) is reusable;
    a base that differs in a value is not."""
    from experiments.runner import Panel, reusable
    from lamsim import save
    from lamsim.linear.sweep import Axis

    panel = Panel("p", "", Setting(d_z=4), (Axis.of("chi", [0.0]),), (), step_table={"exact": 10})
    config = panel.job(seeds=1).config
    old = dict(config, base={k: v for k, v in config["base"].items()
                             if k not in ("learn_a", "noise_dist", "obs_latent", "reading")})
    arrays = {"llo": np.zeros((1, 1))}
    coords = {"chi": np.zeros(1), "seed": np.zeros(1)}
    save(tmp_path, "p", arrays, ("chi", "seed"), coords, {"config": old})
    assert reusable(tmp_path, ("p",), config)
    save(tmp_path, "p", arrays, ("chi", "seed"), coords, {"config": dict(old, base=dict(old["base"], d_z=5))})
    assert not reusable(tmp_path, ("p",), config)


@pytest.mark.slow
@pytest.mark.parametrize("setting", [
    Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, chi=0.5, kappa=0.4, noise="iid", sigma=0.7, batch=32),
    Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="exo", sigma=1.3, batch=32),
    Setting(d_o=D_O, d_a=D_A, d_z=D_Z, d_b=D_B, noise="iid", sigma=1.0, noise_dist="uniform", kappa=0.2, batch=32),
])
def test_batch_gradient_variance_is_the_spread_of_sampled_gradients(setting):
    """The closed-form variance of the batch gradient (faithful-exact's Adam second moment) against
    the spread of the sample loss's gradient over 3,000 batches: the median ratio per leaf within
    10% of 1 (an estimate from 3,000 batches is within about 3%)."""
    env = world.environment(6, D_O, D_A, D_B)
    params = _params(4)
    knobs = montecarlo.knobs(setting)
    uniform = setting.noise_dist == "uniform"
    flags = dict(iid=setting.sigma_iid > 0, exo=setting.sigma_exo > 0, augment=setting.kappa > 0)

    @jax.jit
    def grads(keys):
        def one(key):
            raw = world.raw_batch(key, setting.batch, D_O, D_A, D_B, labels=False, uniform=uniform, **flags)
            src = model.sources(raw, env.policy_map, env.noise_map)
            return jax.grad(model.loss)(params, src, knobs, env.action_effect)
        return jax.vmap(one)(keys)

    sampled = grads(jax.random.split(jax.random.key(3), 3000))
    mean_grad = jitted.expected_grad(params, knobs, env, setting.batch, labels=False, uniform=uniform, **flags)
    closed = jitted.batch_gradient_variance(params, knobs, env, setting.batch, mean_grad, uniform=uniform, **flags)
    z_mask = np.arange(D_Z) < setting.d_z
    for name in ("A", "B", "C", "D"):
        spread = np.var(np.asarray(getattr(sampled, name), np.float64), axis=0)
        theory = np.asarray(getattr(closed, name), np.float64)
        live = theory > 0
        if name in ("C", "D"):
            live &= z_mask[:, None]
        ratio = np.median(spread[live] / theory[live])
        assert abs(ratio - 1) < 0.1, (name, ratio)
