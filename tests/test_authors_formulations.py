"""The two formulations of the authors' Table 1 update compute one function: the per-frame encoder
(each distinct frame once, BatchNorm weighted by counts; quadrant and dense convolutions) gives the
per-sample update's losses, gradients and BatchNorm statistics to float32 rounding."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lamsim.gridworld.authors import settings as asg
from lamsim.gridworld.authors import train as at
from lamsim.gridworld.authors.networks import AuthorsLAM, WeightedBatchNorm
from lamsim.gridworld.layers import Conv3x3

# 95 training trajectories in batches of 40: the third batch of an epoch is padded (15 real rows).
CONFIG = asg.profile("faithful", width=8, mlp_width=16, batch=40, trajectories=100, frames=10)
#: Every path of the batch at once: borrowed noise rows (the IDM's o), labels, high noise.
SETTING = asg.AuthorsSetting(noise_intensity=2.0, augmentation="copy", label_rate=0.2)


def _close(a, b, rtol=2e-5):
    """Every leaf of b within rtol of a, relative to the leaf's largest magnitude."""
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        x, y = np.asarray(x), np.asarray(y)
        np.testing.assert_allclose(y, x, rtol=0, atol=rtol * max(np.abs(x).max(), 1e-12))


@pytest.mark.slow
def test_per_frame_update_matches_per_sample():
    setting = SETTING
    init, _ = at.jitted_trainer(CONFIG)  # compiled as training compiles it
    state, data = jax.tree.map(lambda x: x[0], init(jnp.asarray([0]), asg.knobs_of([setting], CONFIG)))
    knobs = jax.tree.map(lambda x: x[0], asg.knobs_of([setting], CONFIG))
    draws = at.epoch_draws(at.run_keys(0)[2], jnp.int32(0), CONFIG)
    models = {f: AuthorsLAM(CONFIG, f) for f in ("per-sample", "per-frame")}
    grad = jax.jit(jax.grad(at.loss_terms, has_aux=True), static_argnums=2)
    heldout = jax.jit(at.heldout_errors, static_argnums=2)
    assert CONFIG.updates_per_epoch == 3
    labelled = 0
    for index in range(3):  # three batches of an epoch, the last one padded, at three states
        batch = jax.jit(at.make_batch, static_argnums=4)(data, draws, jnp.int32(index), knobs, CONFIG)
        np.testing.assert_array_equal(batch.distinct.frames[batch.distinct.idm_o], batch.idm_o)
        np.testing.assert_array_equal(batch.distinct.frames[batch.distinct.idm_o_next], batch.idm_o_next)
        labelled += int(batch.labelled.sum())
        out = {f: grad(state.params, state.batch_stats, m, batch) for f, m in models.items()}
        (g_s, (terms_s, vq_s, stats_s)), (g_f, (terms_f, vq_f, stats_f)) = out["per-sample"], out["per-frame"]
        _close(terms_s, terms_f)
        _close(g_s, g_f)
        _close(stats_s, stats_f)
        np.testing.assert_array_equal(vq_s.index, vq_f.index)
        key = jax.random.key(index)
        _close(heldout(state.params, state.batch_stats, models["per-sample"], data, key, knobs),
               heldout(state.params, state.batch_stats, models["per-frame"], data, key, knobs))
        # The next state: a gradient step of the per-sample pass and its BatchNorm statistics (the
        # codebook stays, as in training; Adam's update is tested with the trainer).
        params = {k: v if k == "vq" else jax.tree.map(lambda p, g: p - 0.05 * g, v, g_s[k])
                  for k, v in state.params.items()}
        state = state._replace(params=params, batch_stats=stats_s)
    assert labelled > 0  # the label path ran
    # The gradients are not trivially equal: the running averages moved and every parameter learns.
    assert all(float(jnp.abs(g).max()) > 0 for g in jax.tree.leaves({k: v for k, v in g_s.items() if k != "vq"}))


@pytest.mark.slow
def test_weighted_batchnorm_is_batchnorm_over_the_repeated_batch():
    """Weights = counts: the statistics, output and running averages of BatchNorm over the batch in
    which each row is repeated; counting each distinct row once instead is far off."""
    x = jax.random.normal(jax.random.key(3), (4, 2, 2, 3)) + jnp.arange(4.0)[:, None, None, None]
    counts = jnp.asarray([3.0, 1.0, 0.0, 2.0])
    repeated = jnp.repeat(x, counts.astype(int), axis=0, total_repeat_length=6)
    flax_bn = nn.BatchNorm(use_running_average=False, momentum=0.9, epsilon=1e-5)
    variables = flax_bn.init(jax.random.key(0), repeated)
    want, want_stats = flax_bn.apply(variables, repeated, mutable=["batch_stats"])
    mine = WeightedBatchNorm()
    got, got_stats = mine.apply(variables, x, counts, mutable=["batch_stats"])
    _close(want, jnp.repeat(got, counts.astype(int), axis=0, total_repeat_length=6))
    _close(want_stats, got_stats)
    _, once = mine.apply(variables, x, (counts > 0).astype(jnp.float32), mutable=["batch_stats"])
    with pytest.raises(AssertionError):
        _close(want_stats, once, rtol=1e-2)


@pytest.mark.slow
@pytest.mark.parametrize("layout,grid", [("quadrants", 4), ("dense", 4), ("dense", 2)])
def test_conv_layouts_are_the_same_convolution(layout, grid):
    x = jax.random.normal(jax.random.key(1), (3, grid, grid, 5))
    band = Conv3x3(7, wrap=False)
    params = band.init(jax.random.key(2), x)
    want = jax.lax.conv_general_dilated(x, params["params"]["kernel"], (1, 1), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC")) + params["params"]["bias"]
    np.testing.assert_allclose(band.apply(params, x), want, atol=1e-5)
    np.testing.assert_allclose(Conv3x3(7, wrap=False, layout=layout).apply(params, x), want, atol=1e-5)
