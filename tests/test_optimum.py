"""The numerical optimum of the expected loss (lamsim/linear/optimum.py): equal to the closed-form
theory where that exists, deterministic, below every trained run, and stored only where asked."""
import numpy as np
import pytest

from lamsim import Axis, InputError, Setting, Sweep, run_sweep
from lamsim.linear import optimum, world
from lamsim.linear.evaluate import theory_metrics
from lamsim.linear.optimum import OPTIMUM_METRICS

SMALL = Setting(d_o=24, d_a=4, d_b=4, d_z=4)
#: Settings where the PCA theory is defined (no ties that move the LLO, chi < 1), both IDMs, both latents.
UNLABELLED = [
    SMALL.replace(d_z=2),
    SMALL.replace(noise="exo", sigma=0.5),
    SMALL.replace(noise="exo", sigma=2.0, d_z=6, chi=0.3),
    SMALL.replace(noise="iid", sigma=0.5, chi=0.5),
    SMALL.replace(noise="exo", sigma=2.0, idm="difference", latent="true"),
    SMALL.replace(noise="exo", sigma=2.0, kappa=0.1, latent="true"),
]


def _name(s):
    return f"{s.noise}{s.sigma}-dz{s.d_z}-chi{s.chi}-{s.idm}-{s.latent}"


@pytest.mark.slow
@pytest.mark.parametrize("s", UNLABELLED, ids=_name)
def test_at_label_rate_zero_the_optimum_is_the_theory(s):
    """Without labels the optimum's loss is the PCA floor (1e-9) and its LLO the theory's (1e-3), from
    the random starts alone as well as with the subspace starts (each random start reaches the floor)."""
    env = world.environment_f64(0, s.d_o, s.d_a, s.d_b)
    th = theory_metrics(s, env, 1e-4)
    found = optimum.minimise(s, env, 0)
    assert found.grad_norm < 1e-6
    assert found.loss == pytest.approx(th["pca_floor"], abs=1e-9)
    np.testing.assert_allclose(found.losses, th["pca_floor"], atol=1e-8)
    assert optimum.optimum_metrics(s, found, env, 1e-4)["optimum_llo"] == pytest.approx(th["theory_llo"], abs=1e-3)


@pytest.mark.slow
def test_the_optimum_is_deterministic_and_its_starts_fixed():
    s = SMALL.replace(noise="exo", sigma=2.0, kappa=0.1, label_rate=0.01, latent="true")
    env = world.environment_f64(1, s.d_o, s.d_a, s.d_b)
    first, second = optimum.minimise(s, env, 1), optimum.minimise(s, env, 1)
    assert first.losses == second.losses
    for a, b in zip(first.params, second.params):
        np.testing.assert_array_equal(a, b)
    starts = optimum.starts(s, env, 1)
    assert len(starts) == optimum.RANDOM_STARTS + 2
    assert not np.array_equal(starts[0].C, optimum.starts(s, env, 2)[0].C)  # another seed, other starts


@pytest.mark.slow
def test_labels_move_the_optimum_from_the_noise_to_the_action_and_training_approaches_it():
    """sigma_exo 2, d_z = d_a = d_b 4, |kappa| 0.1, true latent: the optimum's LLO is near 0 (the noise)
    without labels and above 1.8 with 10% labels (the action); no trained run's expected loss is below the optimum,
    and the exact profile's run ends within 0.05 of the optimum's LLO at 10% labels."""
    base = SMALL.replace(noise="exo", sigma=2.0, kappa=0.1, latent="true", steps=3000)
    r = run_sweep(Sweep("opt", base, axes=(Axis.of("label_rate", [0.0, 0.1]),), seeds=2, optimum=True))
    opt, llo = r.arrays["optimum_llo"], r.arrays["llo"]
    assert np.all(opt[0] < 0.2) and np.all(opt[1] > 1.8)
    np.testing.assert_allclose(opt[0], r.arrays["theory_llo"][0], atol=1e-3)
    assert np.all(r.arrays["optimum_grad_norm"] < 1e-6)
    np.testing.assert_array_less(np.abs(llo[1] - opt[1]), 0.05)


@pytest.mark.slow
def test_a_sweep_stores_the_optimum_only_where_asked():
    s = Setting(d_o=12, d_a=2, d_b=2, d_z=2, noise="exo", sigma=1.5, steps=5)
    axes = (Axis.of("label_rate", [0.0, 0.05]),)
    plain = run_sweep(Sweep("p", s, axes=axes, seeds=1))
    assert not set(OPTIMUM_METRICS) & set(plain.arrays)
    asked = run_sweep(Sweep("p", s, axes=axes, seeds=1, curve=2, optimum=True))
    for metric in OPTIMUM_METRICS:
        assert asked.arrays[metric].shape == (2, 2, 1)  # label_rate, step, seed: the same at every step
        np.testing.assert_array_equal(asked.arrays[metric][:, 0], asked.arrays[metric][:, 1])
    np.testing.assert_allclose(asked.arrays["optimum_llo"][0], asked.arrays["theory_llo"][0], atol=1e-3)
    assert np.isnan(asked.arrays["theory_llo"][1]).all() and np.isfinite(asked.arrays["optimum_llo"][1]).all()
    with pytest.raises(InputError, match="optimum='yes' is invalid"):
        Sweep("p", s, optimum="yes")


@pytest.mark.slow
def test_the_labels_experiment_and_figure_run(tmp_path):
    """experiments/labels.py on its quick grid (20 steps, 1 seed, d_o 128): the optimum's arrays are
    there, equal to the theory without labels; figures/labels.py draws them."""
    from experiments.__main__ import run
    from figures import labels as figure
    from lamsim import load

    run("labels", seeds=1, quick=True, steps=20, out=str(tmp_path))
    r = load(tmp_path / "labels", required=OPTIMUM_METRICS)
    assert r.meta["config"]["optimum"] is True
    np.testing.assert_allclose(r.arrays["optimum_llo"][0], r.arrays["theory_llo"][0], atol=1e-3)
    assert np.all(r.arrays["optimum_llo"][-1] > 1.9)  # 10% labels: the action
    figure.main(str(tmp_path))
    assert (tmp_path / "figures" / "labels.png").stat().st_size > 0
