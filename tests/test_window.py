"""Beyond pixels (lamsim/linear/window*.py): the reduced-rank theory against its derivations, the window
trainer's closed form against the paper-world one and against sampled batches, training onto the theory,
and the fields' checks."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lamsim.__main__ import main
from lamsim.errors import InputError
from lamsim.linear import exact, train
from lamsim.linear.evaluate import theory_metrics
from lamsim.linear.model import Params
from lamsim.linear.settings import Setting
from lamsim.linear.sweep import Sweep, run_sweep
from lamsim.linear.window import environment, feature_map, window
from lamsim.linear.window_eval import run_settings
from lamsim.linear.window_theory import latent_distance, theory_terms
from lamsim.linear.window_train import WindowParams, init_params, loss, rows_of, shape_of
from lamsim.linear.world import Environment, environment_f64


def _theory(env=None, seed=0, **fields):
    s = Setting(**fields)
    env = environment(s, seed) if env is None else env
    return theory_terms(s, window(s, env, augment=False), feature_map(s, env, seed), 1e-4)


ORTHOGONAL = environment_f64(0, 128, 8, 8, state=True)  # Y orthogonal to X: the derivation's clean case


@pytest.mark.parametrize("fields, llo", [
    (dict(features="agent", gamma=0.5, noise="exo", sigma=1.5), 2.0),       # gamma^2 sigma^2 0.56 < 1
    (dict(features="agent", gamma=0.8, noise="exo", sigma=1.5), 0.0),       # 1.44 > 1: the noise first
    (dict(features="agent", gamma=0.8, noise="exo", sigma=1.5, d_z=12), 0.5),  # noise, then half the action
    (dict(noise="exo", sigma=1.5, idm_horizon=4, action_persistence=0.95), 1.9160),
])
def test_the_theory_gives_the_derived_values_where_y_is_orthogonal_to_x(fields, llo):
    assert _theory(ORTHOGONAL, **fields)["llo"] == pytest.approx(llo, abs=5e-4)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0])
def test_against_iid_noise_the_agent_map_changes_nothing(gamma):
    """nMSE(a) = sigma^2 / (1 + sigma^2) whatever gamma: the noise inside span(X) is kept."""
    assert _theory(features="agent", gamma=gamma, noise="iid", sigma=0.5)["nmse_action"] == pytest.approx(0.2, abs=1e-6)


@pytest.mark.parametrize("k", [2, 4, 8])
def test_a_horizon_without_persistence_loses_action(k):
    """psi 0, i.i.d. noise, d_z = d_a: nMSE(a_t) = 1 - 1 / (k (1 + sigma^2))."""
    assert _theory(noise="iid", sigma=0.5, idm_horizon=k)["nmse_action"] == pytest.approx(1 - 1 / (k * 1.25), abs=1e-6)


def test_a_slow_background_is_not_rescued_by_the_horizon_alone():
    """Exogenous state at rho 0.9 whose innovation beats the action (sigma_e^2 (1 - rho^2) = 1.71):
    the horizon alone does not put the action first; persistent actions do (method.md Sec. 18.2)."""
    state = dict(noise="exo-state", sigma=3.0, rho=0.9)
    assert _theory(**state)["nmse_action"] > 0.99
    assert _theory(**state, idm_horizon=4)["nmse_action"] > 0.99
    assert _theory(**state, idm_horizon=4, action_persistence=0.95)["nmse_action"] < 0.1


@pytest.mark.parametrize("noise, sigma", [("exo", 1.5), ("iid", 0.5), ("exo-state", 1.5)])
def test_pixels_at_one_step_are_the_papers_pca(noise, sigma):
    fields = dict(noise=noise, sigma=sigma, rho=0.5 if noise == "exo-state" else 1.0)
    s = Setting(**fields)
    paper = theory_metrics(s, environment(s, 0), 1e-4)["theory_llo"]
    assert _theory(**fields)["llo"] == pytest.approx(paper, abs=1e-9)


@pytest.mark.slow
def test_the_window_expected_loss_is_the_paper_worlds_at_identity_features():
    """Same parameters, pixels at k = 1 with every term on (i.i.d. and other agents' noise cannot mix in
    one setting, so each in turn): the row sum equals lamsim.linear.exact.expected_loss."""
    for noise, sigma in (("iid", 0.7), ("exo", 1.3)):
        s = Setting(d_o=16, d_a=3, d_b=2, d_z=4, noise=noise, sigma=sigma, kappa=0.3, label_rate=0.2)
        env = environment(s, 1)
        win = window(s, env)
        shape = shape_of(s, win)
        p = init_params(jax.random.key(3), shape)
        p = p._replace(A=p.A + jnp.eye(16))
        ours = jax.jit(loss, static_argnums=(3, 4))(p, p.W, rows_of(s, win, feature_map(s, env, 1)), shape, "sum")
        paper = jax.jit(exact.expected_loss, static_argnums=(3,))(
            Params(p.A, p.B, p.C, p.D, p.E), train.knobs_of([s]),
            Environment(*(jnp.asarray(env[k], jnp.float32) for k in Environment._fields)), s.batch)
        assert float(ours) == pytest.approx(float(paper[0] if paper.ndim else paper), rel=2e-5)


def _learned_case(state_input="grad"):
    s = Setting(d_o=24, d_a=3, d_b=3, d_z=3, noise="exo", sigma=1.0, features="learned", d_r=6,
                state_input=state_input, tau=0.1)
    env = environment(s, 0)
    win = window(s, env)
    shape = shape_of(s, win)
    params = init_params(jax.random.key(5), shape)
    target = params.W + 0.3 * jax.random.normal(jax.random.key(6), params.W.shape)
    return s, shape, rows_of(s, win, None), params, target


def _sampled(shape, rows, params, target, batches=400):
    """Per-batch (loss, directional derivative along W) over ``batches`` sampled batches of 128."""
    direction = WindowParams(*(jnp.zeros_like(x) for x in params))._replace(
        W=jax.random.normal(jax.random.key(9), params.W.shape))

    def one(key):
        zeta = jax.random.normal(key, (128, shape.n))
        batch = rows._replace(**{f: zeta @ getattr(rows, f) for f in rows._fields[:6]})
        value, grads = jax.value_and_grad(loss)(params, target, batch, shape, "mean")
        return value, jnp.sum(grads.W * direction.W)

    values, slopes = jax.jit(jax.vmap(one))(jax.random.split(jax.random.key(11), batches))
    return np.asarray(values), np.asarray(slopes), direction


def _z(samples, expected):
    return abs(samples.mean() - expected) / (samples.std(ddof=1) / np.sqrt(samples.size))


@pytest.mark.slow
def test_the_learned_encoders_closed_form_is_the_mean_of_sampled_batches_and_rejects_a_moved_target():
    s, shape, rows, params, target = _learned_case()
    values, slopes, direction = _sampled(shape, rows, params, target)
    expected, grads = jax.value_and_grad(loss)(params, target, rows, shape, "sum")
    assert _z(values, float(expected)) < 4
    assert _z(slopes, float(jnp.sum(grads.W * direction.W))) < 4
    moved = loss(params, params.W, rows, shape, "sum")  # the target W_bar at tau 1 instead of tau 0.1's
    assert _z(values, float(moved)) > 8


@pytest.mark.slow
def test_cutting_the_state_input_changes_the_gradient_the_samples_see():
    s, shape, rows, params, target = _learned_case("stop")
    _, slopes, direction = _sampled(shape, rows, params, target)
    stopped = jax.grad(loss)(params, target, rows, shape, "sum")
    kept = jax.grad(loss)(params, target, rows, shape._replace(state_input="grad"), "sum")
    assert _z(slopes, float(jnp.sum(stopped.W * direction.W))) < 4
    assert _z(slopes, float(jnp.sum(kept.W * direction.W))) > 8


@pytest.mark.slow
@pytest.mark.parametrize("fields", [
    dict(features="agent", gamma=0.6, noise="exo", sigma=1.5),
    dict(features="random", d_r=12, noise="iid", sigma=0.5),
    dict(idm_horizon=3, action_persistence=0.9, noise="exo", sigma=1.5),
])
def test_training_lands_on_the_theory(fields):
    s = Setting(d_o=32, d_a=4, d_b=4, d_z=4, steps=600, **fields)
    res = run_settings([s], [0], readings=2)
    assert res["llo"][0, 0, -1] == pytest.approx(res["theory_llo"][0, 0], abs=0.03)


@pytest.mark.slow
def test_the_sampled_profile_lands_near_the_theory_too():
    """V1 and V3 on sampled batches (the fast profile): within 0.05 of the theory (batch noise leaves a
    little, as the paper world's profile check shows)."""
    settings = [Setting(d_o=32, d_a=4, d_b=4, d_z=4, profile="fast", steps=3000, **f) for f in (
        dict(features="agent", gamma=0.5, noise="exo", sigma=1.5),
        dict(idm_horizon=3, action_persistence=0.9, noise="exo", sigma=1.5))]
    res = run_settings(settings, [0], readings=2)
    assert np.all(np.abs(res["llo"][:, 0, -1] - res["theory_llo"][:, 0]) <= 0.05), res["llo"][:, 0, -1]


@pytest.mark.slow
def test_a_map_of_ones_own_goes_through_the_api():
    """A user's F (here the agent map at gamma 0.5, handed in as a matrix) gives the agent map's theory."""
    s = Setting(d_o=32, d_a=4, d_b=4, d_z=4, features="random", d_r=32, noise="exo", sigma=1.5, steps=2)
    agent = s.replace(features="agent", gamma=0.5, d_r=None)
    res = run_settings([s], [0], readings=1, maps=lambda setting, env, seed: feature_map(agent, env, seed))
    assert res["theory_llo"][0, 0] == pytest.approx(_theory(seed=0, **{k: v for k, v in agent.to_dict().items()
                                                                          if k != "seed"})["llo"], abs=1e-9)
    with pytest.raises(ValueError, match="^maps="):
        run_settings([s], [0], readings=1, maps=lambda setting, env, seed: np.eye(5))


def test_the_latent_distance_ignores_invertible_maps():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(3, 10))
    assert latent_distance(latent, rng.normal(size=(3, 3)) @ latent) == pytest.approx(0.0, abs=1e-12)
    assert latent_distance(latent, rng.normal(size=(3, 10))) > 0.1


@pytest.mark.parametrize("fields, field", [
    (dict(features="agent", gamma=1.5), "gamma"), (dict(features="random", d_r=4), "d_r"),
    (dict(features="learned", tau=0.0), "tau"), (dict(idm_horizon=0), "idm_horizon"),
    (dict(idm_horizon=2, action_persistence=1.0), "action_persistence"),
    (dict(action_persistence=0.5), "action_persistence"), (dict(tau=0.5), "tau"),
    (dict(features="agent", chi=0.5), "chi"), (dict(features="learned", kappa=0.1), "kappa"),
    (dict(features="learned", target="none", tau=0.5), "tau")])
def test_bad_values_and_meaningless_combinations_name_the_field(fields, field):
    with pytest.raises(InputError, match=f"^{field}="):
        Setting(**fields)


def test_the_command_line_refuses_in_one_line(capsys):
    assert main(["run", "--features", "agent", "--gamma", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: gamma=2.0 is invalid") and "\n" not in err


def test_a_sweep_refuses_the_window_trainers_settings():
    with pytest.raises(InputError, match="^features="):
        run_sweep(Sweep("x", Setting(features="agent", gamma=0.5), (), seeds=1))


@pytest.mark.slow
def test_the_command_line_prints_the_window_trainers_json(capsys):
    import json

    argv = ["run", "--features", "learned", "--d-r", "8", "--d-o", "16", "--d-a", "2", "--d-b", "2", "--d-z", "2",
            "--noise", "exo", "--sigma", "1.5", "--steps", "4", "--seeds", "2"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trainer"] == "window" and out["mean"]["theory_llo"] is None
    diagnostics = {"llo", "llo_z", "w_norm", "w_rank", "w_action", "w_noise", "frozen_llo", "frozen_distance"}
    assert diagnostics <= set(out["mean"])
    assert len(out["per_seed"]["llo"]) == 2 and isinstance(out["converged"], bool)
