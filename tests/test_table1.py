"""Table 1: the grid world, the non-linear LAM's pieces, and a quick end-to-end run."""
import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lamsim.gridworld import networks as nw
from lamsim.gridworld import settings as gs
from lamsim.gridworld import train as gt
from lamsim.gridworld import world as gw
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


def test_vq_shapes_straight_through_and_label_loss():
    config = gs.Config(width=4, latent_dim=3)
    model = nw.LAM(config)
    batch = jax.jit(gt.train_batch, static_argnums=2)(jax.random.key(5), _knobs(label_rate=0.5), 16)
    params = jax.jit(model.init)(jax.random.key(6), batch.idm_o, batch.idm_o_next, batch.fdm_o)
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


def test_dead_codes_restart_to_encoder_outputs_except_with_labels():
    config = gs.Config(latent_dim=2)
    params = {"params": {"vq": {"codebook": jnp.zeros((5, 2))}}}
    z_e = jnp.arange(16.0).reshape(8, 2) + 100
    vq = nw.VQOutput(z_e, z_e, jnp.zeros(8, jnp.int32), z_e)
    usage = jnp.asarray([0.9, 0.2, 0.2, 0.2, 0.05])
    new, new_usage = gt.restart_dead_codes(jax.random.key(7), params, usage, vq, config, jnp.float32(0))
    codebook = np.asarray(nw.codebook_of(new))
    assert np.all(codebook[:4] == 0)  # code 0 picked, codes 1-3 above the threshold
    assert any(np.array_equal(codebook[4], row) for row in np.asarray(z_e))
    assert float(new_usage[4]) == pytest.approx(0.2)
    kept, _ = gt.restart_dead_codes(jax.random.key(7), params, usage, vq, config, jnp.float32(0.01))
    assert np.all(np.asarray(nw.codebook_of(kept)) == 0)


def test_settings_are_validated_once_with_a_clear_error():
    with pytest.raises(ValueError, match=r"correlation=1\.5.*\[0\.0, 1\.0\]"):
        gs.GridSetting(correlation=1.5)
    with pytest.raises(ValueError, match="augment=1 is invalid"):
        gs.GridSetting(augment=1)
    with pytest.raises(ValueError, match="codes=4 is invalid"):
        gs.Config(codes=4)


@pytest.mark.slow
def test_smoke_run_writes_the_table_and_the_report(tmp_path):
    from experiments import table1
    from experiments.runner import run_experiment
    from figures import table1 as report

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

    md = report.main(str(tmp_path))
    assert "| Low noise (default) |" in md.read_text() and "orderings hold" in md.read_text()
    assert (tmp_path / "figures/table1.png").stat().st_size > 0 and (tmp_path / "figures/table1.pdf").exists()


def test_wrapping_convolutions_commute_with_column_shifts_and_zero_padded_ones_see_the_edges():
    from lamsim.gridworld.networks import Conv3x3
    from lamsim.gridworld.settings import Config

    frames = jax.random.normal(jax.random.key(0), (3, 4, 4, 2))
    shift = jnp.asarray([1, -1, 2])
    roll = jax.vmap(lambda f, s: jnp.roll(f, s, axis=1))
    for wrap in (True, False):
        conv = Conv3x3(5, wrap)
        params = conv.init(jax.random.key(1), frames)
        shifted_then_conv = conv.apply(params, roll(frames, shift))
        conv_then_shifted = roll(conv.apply(params, frames), shift)
        equal = np.allclose(shifted_then_conv, conv_then_shifted, atol=1e-5)
        assert equal == wrap
    # The defaults: the IDM sees absolute columns, the FDM draws moves alike in every column.
    assert (Config().idm_wrap, Config().fdm_wrap) == (False, True)
