"""Table 1: the grid world, the non-linear LAM's pieces, and a quick end-to-end run."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lamsim.gridworld import layers
from lamsim.gridworld.ours import networks as nw
from lamsim.gridworld.ours import settings as gs
from lamsim.gridworld.ours import train as gt
from lamsim.gridworld.ours import world as gw
from lamsim.runtime import results

STAY, UP, DOWN, LEFT, RIGHT = range(5)


def _cells():
    return np.array([(r, c) for r in range(gw.AGENT_ROWS) for c in range(gw.SIZE)], dtype=np.int32)


def test_each_action_moves_the_agent_with_wrap_around():
    cells = _cells()
    expected = {
        STAY: cells,
        UP: np.stack([(cells[:, 0] - 1) % 3, cells[:, 1]], 1),
        DOWN: np.stack([(cells[:, 0] + 1) % 3, cells[:, 1]], 1),
        LEFT: np.stack([cells[:, 0], (cells[:, 1] - 1) % 4], 1),
        RIGHT: np.stack([cells[:, 0], (cells[:, 1] + 1) % 4], 1),
    }
    for action, want in expected.items():
        got = np.asarray(gw.move(jnp.asarray(cells), jnp.full(len(cells), action)))
        np.testing.assert_array_equal(got, want, err_msg=gw.ACTIONS[action])
    # The wrap-arounds explicitly: rows 0-2 form the torus, row 3 is never entered.
    corner = jnp.asarray([[0, 0], [2, 3]])
    np.testing.assert_array_equal(gw.move(corner, jnp.asarray([UP, DOWN])), [[2, 0], [0, 3]])
    np.testing.assert_array_equal(gw.move(corner, jnp.asarray([LEFT, RIGHT])), [[0, 3], [2, 0]])


def test_agent_is_one_lit_cell_in_rows_0_to_2_and_follows_its_action():
    t = gw.sample(jax.random.key(0), 4096, jnp.float32(2.0), jnp.float32(0.0))
    for frame, agent in ((t.o, t.agent), (t.o_next, t.agent_next)):
        top = np.asarray(frame[:, :3])
        assert np.all(np.isin(top, [0.0, 1.0]))
        np.testing.assert_array_equal(top.sum(axis=(1, 2)), 1.0)
        agent = np.asarray(agent)
        np.testing.assert_array_equal(top[np.arange(len(top)), agent[:, 0], agent[:, 1]], 1.0)
    np.testing.assert_array_equal(t.agent_next, gw.move(t.agent, t.action))
    # Uniform policy and uniform start: every action and cell is frequent.
    assert np.bincount(np.asarray(t.action), minlength=5).min() > 700
    assert np.bincount(np.asarray(t.agent[:, 0] * 4 + t.agent[:, 1]), minlength=12).min() > 250


@pytest.mark.parametrize("level", ["none", "low", "high"])
def test_noise_row_is_fresh_bernoulli_half_times_intensity(level):
    intensity = gw.NOISE_INTENSITY[level]
    t = gw.sample(jax.random.key(1), 20000, jnp.float32(intensity), jnp.float32(0.0))
    noise, noise_next = np.asarray(t.o[:, 3]), np.asarray(t.o_next[:, 3])
    assert np.all(np.isin(noise, [0.0, intensity]))
    if intensity == 0:
        assert np.all(noise == 0) and np.all(noise_next == 0)
        return
    for row in (noise, noise_next):
        np.testing.assert_allclose(row.mean(axis=0), 0.5 * intensity, atol=0.02 * intensity)
        np.testing.assert_allclose(row.var(axis=0), 0.25 * intensity ** 2, rtol=0.03)
    # Fresh every frame and every cell: no correlation between o and o' or across cells.
    assert abs(np.corrcoef(noise[:, 0], noise_next[:, 0])[0, 1]) < 0.03
    assert abs(np.corrcoef(noise[:, 0], noise[:, 1])[0, 1]) < 0.03


@pytest.mark.slow
def test_snake_is_a_closed_tour_and_the_correlated_policy_follows_it():
    agent, seen = np.zeros((1, 2), np.int32), []
    for _ in range(gw.CELLS):
        seen.append(tuple(agent[0]))
        agent = np.asarray(gw.move(jnp.asarray(agent), gw.snake_action(jnp.asarray(agent))))
    assert sorted(seen) == sorted(map(tuple, _cells())) and tuple(agent[0]) == (0, 0)
    n = 40000
    follows = {}
    for correlation in (0.0, gw.SNAKE_CORRELATION):
        t = gw.sample(jax.random.key(2), n, jnp.float32(1.0), jnp.float32(correlation))
        follows[correlation] = float(np.mean(np.asarray(t.action) == np.asarray(gw.snake_action(t.agent))))
    # 95% follow the snake, and the uniform 5% pick its action 1 time in 5.
    assert abs(follows[gw.SNAKE_CORRELATION] - (0.95 + 0.05 / 5)) < 0.005
    assert abs(follows[0.0] - 0.2) < 0.01


def test_shift_columns_rolls_all_rows_with_wrap_around():
    frames = jnp.arange(2 * 16, dtype=jnp.float32).reshape(2, 4, 4)
    shifted = np.asarray(gw.shift_columns(frames, jnp.asarray([1, -1])))
    np.testing.assert_array_equal(shifted[0], np.roll(frames[0], 1, axis=1))
    np.testing.assert_array_equal(shifted[1], np.roll(frames[1], -1, axis=1))
    shifts = np.asarray(gw.random_shifts(jax.random.key(3), 10000))
    assert set(np.unique(shifts)) == {-1, 1} and abs(shifts.mean()) < 0.05


def _knobs(**fields):
    return jax.tree.map(lambda x: x[0], gs.knobs_of([gs.GridSetting(**fields)]))


def _unshift(frames, reference):
    """The shift s in {-1, 0, 1} with roll(reference, s) == frames, per sample."""
    out = np.full(len(frames), 99)
    for s in (-1, 0, 1):
        out[np.all(np.roll(reference, s, axis=2) == frames, axis=(1, 2)) & (out == 99)] = s
    return out


def test_augmentation_shares_one_shift_per_model_and_is_off_by_default():
    train_batch = jax.jit(gt.train_batch, static_argnums=2)
    plain = train_batch(jax.random.key(4), _knobs(), 512)
    assert np.all(plain.idm_o == plain.fdm_o) and np.all(plain.idm_o_next == plain.target)
    b = train_batch(jax.random.key(4), _knobs(augment=True), 512)
    # Same key: the unshifted data equal `plain`'s, so each shift can be recovered.
    s_idm = _unshift(np.asarray(b.idm_o), np.asarray(plain.idm_o))
    s_fdm = _unshift(np.asarray(b.fdm_o), np.asarray(plain.fdm_o))
    np.testing.assert_array_equal(_unshift(np.asarray(b.idm_o_next), np.asarray(plain.idm_o_next)), s_idm)
    np.testing.assert_array_equal(_unshift(np.asarray(b.target), np.asarray(plain.target)), s_fdm)
    # Agent rows are unambiguous, so every sample recovers +-1; the two shifts are independent.
    assert set(np.unique(s_idm)) == {-1, 1} and set(np.unique(s_fdm)) == {-1, 1}
    assert 0.4 < np.mean(s_idm == s_fdm) < 0.6


@pytest.mark.slow
def test_vq_shapes_straight_through_and_label_loss():
    config = gs.Config(width=4, latent_dim=3)
    model = nw.LAM(config)
    batch = jax.jit(gt.train_batch, static_argnums=2)(jax.random.key(5), _knobs(label_rate=0.5), 16)
    params = jax.jit(model.init).lower(jax.random.key(6), batch.idm_o, batch.idm_o_next, batch.fdm_o).compile(
        compiler_options=gt.INIT_COMPILER_OPTIONS)(jax.random.key(6), batch.idm_o, batch.idm_o_next, batch.fdm_o)
    prediction, vq = jax.jit(model.apply)(params, batch.idm_o, batch.idm_o_next, batch.fdm_o)
    assert prediction.shape == (16, 4, 4) and nw.codebook_of(params).shape == (5, 3)
    assert vq.z_e.shape == vq.z_q.shape == vq.code.shape == (16, 3) and vq.index.shape == (16,)
    np.testing.assert_allclose(vq.z_q, nw.codebook_of(params)[vq.index], atol=1e-6)

    def reconstruction(p):
        return jnp.mean((model.apply(p, batch.idm_o, batch.idm_o_next, batch.fdm_o)[0] - batch.target) ** 2)

    grads = jax.jit(jax.grad(reconstruction))(params)["params"]
    # Straight-through: the reconstruction's gradient reaches the encoder, not the codebook.
    assert all(float(jnp.abs(g).sum()) > 0 for g in jax.tree.leaves(grads["idm"]))
    assert float(jnp.abs(grads["vq"]["codebook"]).sum()) == 0
    loss_terms = jax.jit(gt.loss_terms, static_argnums=1)
    _, (terms, _) = loss_terms(params, model, batch)
    labelled = np.asarray(batch.labelled)
    want = np.sum((np.asarray(vq.z_e) - np.asarray(nw.codebook_of(params))[np.asarray(batch.action)]) ** 2, axis=1)
    np.testing.assert_allclose(terms["label"], want[labelled].mean(), rtol=1e-5)
    no_labels = batch._replace(labelled=jnp.zeros(16, bool))
    assert float(loss_terms(params, model, no_labels)[1][0]["label"]) == 0


def test_dead_codes_restart_to_encoder_outputs_except_with_labels_or_when_off():
    config = gs.Config(latent_dim=2)
    params = {"params": {"vq": {"codebook": jnp.zeros((5, 2))}}}
    z_e = jnp.arange(16.0).reshape(8, 2) + 100
    vq = layers.VQOutput(z_e, z_e, jnp.zeros(8, jnp.int32), z_e)
    usage = jnp.asarray([0.9, 0.2, 0.2, 0.2, 0.05])
    pick = jnp.asarray([7, 6, 5, 4, 3])
    new, new_usage = gt.restart_dead_codes(pick, params, usage, vq, config, jnp.float32(0))
    codebook = np.asarray(nw.codebook_of(new))
    assert np.all(codebook[:4] == 0)  # code 0 picked, codes 1-3 above the threshold
    np.testing.assert_array_equal(codebook[4], np.asarray(z_e)[3])  # code 4 takes its picked sample
    assert float(new_usage[4]) == pytest.approx(0.2)
    kept, _ = gt.restart_dead_codes(pick, params, usage, vq, config, jnp.float32(0.01))
    assert np.all(np.asarray(nw.codebook_of(kept)) == 0)
    off, off_usage = gt.restart_dead_codes(pick, params, usage, vq, gs.Config(latent_dim=2, restarts=False),
                                           jnp.float32(0))
    assert np.all(np.asarray(nw.codebook_of(off)) == 0)
    # The EMA is still kept: code 0 took the whole batch.
    np.testing.assert_allclose(off_usage, 0.99 * usage + 0.01 * np.eye(5)[0], rtol=1e-6)


def test_random_words_give_uniform_fields():
    # Every value of `below` covers the same number of top-24-bit patterns (to within one).
    words = jnp.arange(2 ** 16, dtype=jnp.uint32) << 16
    for n in (5, 12, 32):
        counts = np.bincount(np.asarray(gw.below(words, n)), minlength=n)
        assert len(counts) == n and counts.max() - counts.min() <= 1
    u = np.asarray(gw.uniform(jnp.asarray([0, 0xFF, 0x80000000, 0xFFFFFFFF], jnp.uint32)))
    np.testing.assert_array_equal(u, [0.0, 0.0, 0.5, 1 - 2.0 ** -24])
    np.testing.assert_array_equal(gw.low_bit(jnp.asarray([0b101], jnp.uint32), 2), [1])
    with pytest.raises(ValueError, match="n=300"):
        gw.below(words, 300)


def test_settings_are_validated_once_with_a_clear_error():
    with pytest.raises(ValueError, match=r"correlation=1\.5.*\[0\.0, 1\.0\]"):
        gs.GridSetting(correlation=1.5)
    with pytest.raises(ValueError, match="augment=1 is invalid"):
        gs.GridSetting(augment=1)
    with pytest.raises(ValueError, match="codes=4 is invalid"):
        gs.Config(codes=4)
    with pytest.raises(ValueError, match="restarts=0 is invalid"):
        gs.Config(restarts=0)


@pytest.mark.slow
def test_smoke_run_writes_the_table_and_the_report(tmp_path):
    from experiments import table1
    from experiments.runner import run_experiment
    from figures import table1 as draw
    from reports import table1 as report

    def run():
        return run_experiment(table1.EXPERIMENT, seeds=2, steps=300, out=tmp_path)

    path = run()
    table = results.load(path, required=("controllable_loss", "stochastic_loss"))
    assert table.dims == ("setting", "seed")
    assert list(table.coords["setting"]) == list(table1.SETTINGS) == [
        "no_noise", "low_noise", "high_noise", "correlated_policy", "augmentation", "action_prediction"]
    np.testing.assert_array_equal(table.coords["seed"], [0, 1])
    for name in ("controllable_loss", "stochastic_loss"):
        chex.assert_shape(table.arrays[name], (6, 2))
    assert np.all(np.isnan(table.arrays["stochastic_loss"][0]))
    assert np.all(np.isfinite(table.arrays["stochastic_loss"][1:]))
    assert np.all(np.isfinite(table.arrays["controllable_loss"]))
    assert table.meta["config"]["steps"] == 300 and "wall_s" in table.meta and "versions" in table.meta["environment"]

    codes = results.load(tmp_path / "table1_codes", required=("effect",))
    assert codes.dims == ("setting", "seed", "code", "row", "col")
    chex.assert_shape(codes.arrays["effect"], (6, 2, 5, 4, 4))
    frames = results.load(tmp_path / "table1_frames", required=("low_noise",))
    assert frames.dims == ("action", "frame", "row", "col")
    chex.assert_shape(frames.arrays["low_noise"], (5, 2, 4, 4))

    # Same config again: kept, not recomputed.
    stamp = path.stat().st_mtime_ns
    assert run() == path and path.stat().st_mtime_ns == stamp

    for name in table1.METRICS:
        chex.assert_shape(table.arrays[name], (6, 2))
    # The conditional normaliser differs from the total one by one factor across settings on rows 0-2.
    ratio = table.arrays["controllable_loss_cond"] / table.arrays["controllable_loss"]
    np.testing.assert_allclose(ratio, ratio[0, 0], rtol=1e-5)
    assert 1.1 < ratio[0, 0] < 1.2  # (11/12) / 0.8 = 1.146, up to the evaluation set's sampling

    md = report.write(str(tmp_path))
    text = md.read_text()
    assert "| Low noise (default) |" in text and "Of 9 orderings:" in text and "cond. var" in text
    assert "Without dead-code restarts" not in text
    draw.main(str(tmp_path))
    assert (tmp_path / "figures/table1.png").stat().st_size > 0 and (tmp_path / "figures/table1.pdf").exists()

    # The no-restart variant is stored under its own names, and the report shows it beside the default.
    path = run_experiment(table1.NORESTART, seeds=2, steps=300, out=tmp_path)
    assert path.name == "table1_norestart.npz" and (tmp_path / "table1_norestart_codes.npz").exists()
    assert results.load(path).meta["config"]["model"]["restarts"] is False
    assert "Without dead-code restarts (2 seeds" in report.write(str(tmp_path)).read_text()


def test_wrapping_convolutions_commute_with_column_shifts_and_zero_padded_ones_see_the_edges():
    from lamsim.gridworld.layers import Conv3x3
    from lamsim.gridworld.ours.settings import Config

    rng = np.random.default_rng(0)
    frames = jnp.asarray(rng.normal(size=(3, 4, 4, 2)), jnp.float32)
    params = {"params": {"kernel": jnp.asarray(rng.normal(size=(3, 3, 2, 5)), jnp.float32), "bias": jnp.zeros(5)}}
    shift = jnp.asarray([1, -1, 2])
    roll = jax.jit(jax.vmap(lambda f, s: jnp.roll(f, s, axis=1)))
    for wrap in (True, False):
        conv = Conv3x3(5, wrap)
        apply = jax.jit(conv.apply)
        shifted_then_conv = apply(params, roll(frames, shift))
        conv_then_shifted = roll(apply(params, frames), shift)
        equal = np.allclose(shifted_then_conv, conv_then_shifted, atol=1e-5)
        assert equal == wrap
    # The defaults: the IDM sees absolute columns, the FDM draws moves alike in every column.
    assert (Config().idm_wrap, Config().fdm_wrap) == (False, True)


def _tap_matrices(h: int, w: int, wrap: bool) -> np.ndarray:
    """The dense form of ``Conv3x3`` on a whole h x w grid, T [9, h*w, h*w]:
    T[k, p, q] = 1 where input cell q is tap k (of the 3x3 kernel, row-major)
    of output cell p. Columns wrap around when ``wrap``, else they are zero
    padded; rows are always zero padded."""
    taps = np.zeros((9, h * w, h * w), np.float32)
    for k in range(9):
        di, dj = k // 3 - 1, k % 3 - 1
        for r in range(h):
            for c in range(w):
                if 0 <= r + di < h and (wrap or 0 <= c + dj < w):
                    taps[k, r * w + c, (r + di) * w + (c + dj) % w] = 1.0
    return taps


def _lax_conv(x, kernel, wrap):
    """The reference: XLA's convolution (a cross-correlation) of x [B, H, W, C]
    with rows zero padded and columns wrapped around (or zero padded)."""
    if wrap:
        x = jnp.concatenate([x[:, :, -1:], x, x[:, :, :1]], axis=2)
    padding = ((1, 1), (0, 0)) if wrap else ((1, 1), (1, 1))
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))


@pytest.mark.parametrize("wrap", [True, False])
@pytest.mark.parametrize("shape", [(4, 4, 2, 8), (4, 4, 8, 8), (2, 2, 8, 16)])
def test_conv3x3_matches_xla_convolution_and_a_flipped_kernel_does_not(shape, wrap):
    h, w, c, f = shape
    rng = np.random.default_rng(0)  # numpy draws: jax.random would compile anew for every shape
    x = jnp.asarray(rng.normal(size=(3, h, w, c)), jnp.float32)
    kernel = jnp.asarray(rng.normal(size=(3, 3, c, f)), jnp.float32)
    conv = layers.Conv3x3(f, wrap)
    params = {"params": {"kernel": kernel, "bias": jnp.arange(f, dtype=jnp.float32)}}
    assert jax.tree.map(jnp.shape, params) == jax.tree.map(jnp.shape, jax.eval_shape(conv.init, jax.random.key(1), x))
    got = jax.jit(conv.apply)(params, x)
    reference = jax.jit(_lax_conv, static_argnums=2)
    np.testing.assert_allclose(got, reference(x, kernel, wrap) + jnp.arange(f), atol=1e-5)
    # A convolution that flipped its kernel (true convolution) would be another model.
    flipped = reference(x, kernel[::-1, ::-1], wrap) + jnp.arange(f)
    assert not np.allclose(got, flipped, atol=1e-3)
    # The dense tap matrices of the whole grid give the same map.
    dense = jnp.einsum("kpq,kcf->qcpf", _tap_matrices(h, w, wrap), kernel.reshape(9, c, f))
    np.testing.assert_allclose(got, (x.reshape(3, -1) @ dense.reshape(h * w * c, h * w * f)).reshape(3, h, w, f)
                               + jnp.arange(f), atol=1e-5)


def test_conditional_normaliser_scores_the_conditional_mean_1_and_the_snake_2():
    from lamsim.gridworld.ours.evaluate import normalised_losses

    @jax.jit
    def scores(intensity):
        data = gw.evaluation_set(jax.random.key(8), 8192, intensity)
        expected = gw.conditional_mean(data.agent, intensity, jnp.float32(0.0))
        snake = gw.render(gw.move(data.agent, gw.snake_action(data.agent)), expected[:, 3])
        return expected, {name: normalised_losses(guess, data, intensity)
                          for name, guess in (("mean", expected), ("snake", snake), ("perfect", data.o_next))}

    expected, got = scores(jnp.float32(2.0))
    # Uniform policy: 1/5 on each of the five next cells, the noise row at intensity / 2.
    np.testing.assert_allclose(expected[:, :3].sum(axis=(1, 2)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.sort(np.asarray(expected[0, :3]).ravel())[-5:], 0.2, rtol=1e-6)
    np.testing.assert_allclose(expected[:, 3], 1.0)
    # Predicting E[o' | o] leaves exactly the conditional variance: 0.8 per sample on
    # rows 0-2 (0.8^2 + 4 * 0.2^2) and intensity^2 on row 3.
    assert float(got["mean"]["controllable_loss_cond"]) == pytest.approx(1.0, abs=1e-6)
    assert float(got["mean"]["stochastic_loss_cond"]) == pytest.approx(1.0, abs=1e-6)
    # The total variance of rows 0-2 is 11/12 per sample: the same error reads 0.8 / (11/12).
    assert float(got["mean"]["controllable_loss"]) == pytest.approx(0.8 / (11 / 12), abs=0.01)
    assert float(got["mean"]["stochastic_loss"]) == pytest.approx(1.0, abs=0.01)
    # Always predicting the snake's move: wrong 4 times in 5, each error costs 2 -> 1.6 / 0.8.
    assert float(got["snake"]["controllable_loss_cond"]) == pytest.approx(2.0, abs=0.03)
    assert all(float(v) == 0 for v in got["perfect"].values())
    # Without noise the noise row has no variance to normalise by.
    _, silent = scores(jnp.float32(0.0))
    assert np.isnan(float(silent["mean"]["stochastic_loss_cond"])) and np.isnan(float(silent["mean"]["stochastic_loss"]))
    assert float(silent["mean"]["controllable_loss_cond"]) == pytest.approx(1.0, abs=1e-6)
