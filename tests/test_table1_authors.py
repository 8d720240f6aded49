"""Table 1 as the authors ran it: their world, model, training rules and metric, at a tiny size."""
import dataclasses
from functools import partial

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lamsim.errors import InputError
from lamsim.gridworld.authors import networks as an
from lamsim.gridworld.authors import settings as asg
from lamsim.gridworld.authors import train as at
from lamsim.gridworld.authors import world as aw

STAY, UP, DOWN, LEFT, RIGHT = (aw.ACTIONS.index(a) for a in ("stay", "up", "down", "left", "right"))


def _cell(row, col):
    return row * aw.SIZE + col


def test_walls_keep_the_agent_on_the_3x4_area():
    cells = jnp.arange(aw.CELLS)
    for action, (dr, dc) in enumerate(aw.MOVES):
        got = np.asarray(aw.move(cells, jnp.full(aw.CELLS, action)))
        want = [_cell(min(max(c // 4 + dr, 0), 2), min(max(c % 4 + dc, 0), 3)) for c in range(aw.CELLS)]
        np.testing.assert_array_equal(got, want, err_msg=aw.ACTIONS[action])
    # Off the edge: stay put (a torus would wrap to the far side).
    corner = jnp.asarray([_cell(0, 0), _cell(2, 3), _cell(0, 3), _cell(2, 0)])
    np.testing.assert_array_equal(aw.move(corner, jnp.asarray([UP, DOWN, RIGHT, LEFT])), corner)
    np.testing.assert_array_equal(aw.move(corner, jnp.asarray([DOWN, UP, LEFT, RIGHT])),
                                  [_cell(1, 0), _cell(1, 3), _cell(0, 2), _cell(2, 1)])


@pytest.mark.slow
def test_trajectories_start_at_row_1_column_2_and_follow_their_actions():
    data = jax.jit(aw.generate, static_argnums=(1, 2))(jax.random.key(0), 500, 60, jnp.float32(0.0))
    chex.assert_shape((data.cell, data.action, data.noise), ((500, 60), (500, 59), (500, 60)))
    cell, action = np.asarray(data.cell, np.int32), np.asarray(data.action, np.int32)
    assert aw.START == (1, 2) and np.all(cell[:, 0] == _cell(1, 2))
    np.testing.assert_array_equal(cell[:, 1:], aw.wall_move_cells(cell[:, :-1], action))
    assert np.bincount(action.ravel(), minlength=5).min() > 0.19 * action.size
    # The noise row: four fair bits per frame, fresh every frame.
    bits = (np.asarray(data.noise)[..., None] >> np.arange(4)) & 1
    np.testing.assert_allclose(bits.mean(axis=(0, 1)), 0.5, atol=0.01)
    assert abs(np.corrcoef(bits[:, :-1, 0].ravel(), bits[:, 1:, 0].ravel())[0, 1]) < 0.02
    # Frames render the agent and the noise at the setting's intensity (0.25 x 4 = 1 for low noise).
    pairs = aw.pairs(data, jnp.arange(3), jnp.asarray([0, 5, 58]), jnp.float32(aw.NOISE_INTENSITY["low"]))
    assert aw.NOISE_INTENSITY == {"none": 0.0, "low": 1.0, "high": 2.0}
    np.testing.assert_array_equal(pairs.o[0, :3].reshape(-1), np.eye(12)[_cell(1, 2)])
    np.testing.assert_array_equal(pairs.o_next[2, 3], bits[2, 59])


def test_split_is_95_5_by_trajectory():
    train, test = aw.split(jax.random.key(1), 4000)
    assert train.shape == (3800,) and test.shape == (200,)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(4000))
    assert not np.array_equal(np.sort(train), np.arange(3800))  # at random, not the first 3,800


@pytest.mark.slow
def test_the_snake_policy_takes_the_authors_action_in_each_cell():
    want = {(0, 0): "down", (1, 0): "down", (2, 0): "right", (0, 1): "right", (1, 1): "up", (2, 1): "up",
            (0, 2): "down", (1, 2): "down", (2, 2): "right", (1, 3): "up", (2, 3): "up", (0, 3): "stay"}
    for (row, col), action in want.items():
        assert aw.ACTIONS[aw.SNAKE_ACTION[_cell(row, col)]] == action, (row, col)
    # The jump at (0, 3) lands on (0, 0); every other snake step is its recorded move.
    assert aw.SNAKE_NEXT[_cell(0, 3)] == _cell(0, 0)
    others = [c for c in range(aw.CELLS) if c != _cell(0, 3)]
    np.testing.assert_array_equal(aw.SNAKE_NEXT[others], aw.wall_move_cells(np.asarray(others),
                                                                            aw.SNAKE_ACTION[others]))
    # Always following it from (1, 2) tours all 12 cells and comes back.
    data = aw.generate(jax.random.key(2), 1, 13, jnp.float32(1.0))
    tour = np.asarray(data.cell[0], np.int32)
    assert sorted(tour[:12]) == list(range(12)) and tour[12] == tour[0]
    # At 0.95 the recorded action is the snake's 95% of the time plus the uniform 5% that picks it.
    data = aw.generate(jax.random.key(3), 2000, 100, jnp.float32(aw.SNAKE_CORRELATION))
    follows = np.asarray(data.action) == aw.SNAKE_ACTION[np.asarray(data.cell[:, :-1], np.int32)]
    assert abs(follows.mean() - (0.95 + 0.05 / 5)) < 0.003


@pytest.mark.slow
def test_the_exact_action_blind_error_and_the_authors_normaliser():
    exact = aw.action_blind_error()
    assert exact == pytest.approx(0.0567811, abs=1e-7)
    # The stationary occupancy is uniform (walls keep the uniform walk doubly stochastic): 17/300;
    # the torus of our own world, where all five next cells differ, gives 0.8 / 12.
    assert aw.action_blind_error(frames=100_000) == pytest.approx(17 / 300, abs=1e-6)
    np.testing.assert_allclose(aw.transition_matrix().sum(axis=0), 1.0)
    # The authors' 0.060 is 5.7% above the exact value: a latent without action information reads 0.946.
    assert 0.060 / exact == pytest.approx(1.0567, abs=1e-4)
    # Monte Carlo: the per-pixel MSE on rows 0-2 of each cell's empirical mean next frame.
    data = aw.generate(jax.random.key(4), 4000, 200, jnp.float32(0.0))
    cell = np.asarray(data.cell, np.int64)
    here, there = cell[:, :-1].ravel(), cell[:, 1:].ravel()
    counts = np.zeros((12, 12))
    np.add.at(counts, (here, there), 1.0)
    mean_next = counts / counts.sum(axis=1, keepdims=True)
    error = (1 - 2 * mean_next[here, there] + (mean_next ** 2).sum(axis=1)[here]).mean() / 12
    assert error == pytest.approx(exact, rel=2e-3)


def _model_and_variables(config, batch=8, seed=0):
    model = an.AuthorsLAM(config)
    blank = jnp.zeros((batch, 4, 4))
    key = jax.random.key(seed)
    init = jax.jit(model.init).lower(key, blank, blank, blank).compile(compiler_options=at.INIT_COMPILER_OPTIONS)
    return model, init(key, blank, blank, blank)


def _frames(key, n, intensity=1.0):
    data = aw.generate(key, n, 20, jnp.float32(0.0))
    return aw.pairs(data, jnp.arange(n), jnp.arange(n) % 19, jnp.float32(intensity))


@pytest.mark.slow
def test_model_shapes_and_torch_initialisation():
    config = asg.profile("faithful", width=6, mlp_width=10)
    model, variables = _model_and_variables(config)
    p = variables["params"]
    chex.assert_shape(p["vq"]["codebook"], (5, 16))
    chex.assert_shape(p["mlp"]["Dense_0"]["kernel"], (8, 10))
    chex.assert_shape(p["fdm"]["ConvReluNorm_0"]["Conv3x3_0"]["kernel"], (3, 3, 2, 6))
    chex.assert_shape(p["encoder"]["Conv3x3_0"]["kernel"], (3, 3, 6, 1))
    # PyTorch's default: kernel and bias uniform in +-1/sqrt(fan_in).
    layers = (("mlp", p["mlp"]["Dense_1"], 10), ("conv", p["fdm"]["ConvReluNorm_1"]["Conv3x3_0"], 9 * 6))
    for name, layer, fan_in in layers:
        for leaf in (layer["kernel"], layer["bias"]):
            assert float(jnp.max(jnp.abs(leaf))) <= fan_in ** -0.5 + 1e-7, name
        assert float(jnp.max(jnp.abs(layer["kernel"]))) > 0.8 * fan_in ** -0.5, name
    pairs = _frames(jax.random.key(5), 8)
    (prediction, vq), _ = jax.jit(partial(model.apply, mutable=["batch_stats"]))(variables, pairs.o, pairs.o_next,
                                                                                 pairs.o)
    chex.assert_shape((prediction, vq.z_e, vq.index), ((8, 4, 4), (8, 16), (8,)))
    assert float(jnp.min(prediction)) >= 0  # ReLU on the output
    np.testing.assert_allclose(vq.z_q, p["vq"]["codebook"][vq.index], atol=1e-6)


@pytest.mark.slow
def test_labelled_samples_feed_the_fdm_their_actions_code():
    config = asg.profile("faithful", width=16, mlp_width=8)
    model, variables = _model_and_variables(config)
    pairs = _frames(jax.random.key(6), 8)
    codebook = variables["params"]["vq"]["codebook"]
    action = jnp.asarray([0, 1, 2, 3, 4, 0, 1, 2])
    labelled = jnp.asarray([True, True, True, True, False, False, False, False])

    @jax.jit
    def outputs(variables):
        # Training mode, as in training: BatchNorm's statistics are the batch's, so each call sees the whole batch.
        def fdm(latent):
            return model.apply(variables, pairs.o, latent, method=an.AuthorsLAM.predict_with_latent,
                               mutable=["batch_stats"])[0]

        (prediction, vq), _ = model.apply(variables, pairs.o, pairs.o_next, pairs.o, labelled, action,
                                          mutable=["batch_stats"])
        return prediction, fdm(jnp.where(labelled[:, None], codebook[action], vq.z_q)), fdm(codebook[action]), vq

    prediction, by_hand, own, vq = outputs(variables)
    assert float(jnp.abs(prediction).sum()) > 0
    np.testing.assert_allclose(prediction, by_hand, atol=1e-6)
    assert np.any(np.asarray(vq.index)[4:] != np.asarray(action)[4:])
    assert not np.allclose(prediction, own, atol=1e-4)  # the unlabelled ones keep their own latent
    # The action pull: mean (z_q - code[a])^2 over labelled samples; its gradient reaches the MLP, not the codebook.
    batch = at.Batch(pairs.o, pairs.o_next, pairs.o, pairs.o_next, action, labelled, jnp.ones(8, bool))
    loss_terms = jax.jit(at.loss_terms, static_argnums=2)
    _, (terms, _, _) = loss_terms(variables["params"], variables["batch_stats"], model, batch)
    want = np.mean((np.asarray(codebook)[np.asarray(vq.index)] - np.asarray(codebook)[np.asarray(action)])[:4] ** 2)
    assert float(terms["label"]) == pytest.approx(want, rel=1e-5)

    def pull(params):
        return loss_terms(params, variables["batch_stats"], model, batch)[1][0]["label"]

    grads = jax.jit(jax.grad(pull))(variables["params"])
    assert float(jnp.abs(grads["mlp"]["Dense_2"]["kernel"]).sum()) > 0
    assert float(jnp.abs(grads["vq"]["codebook"]).sum()) == 0


def test_the_optimiser_leaves_the_codebook_alone_unless_asked():
    params = {"mlp": {"w": jnp.ones(3)}, "vq": {"codebook": jnp.ones((5, 16))}}
    grads = jax.tree.map(jnp.ones_like, params)
    for learn in (False, True):
        opt = at.optimiser(asg.profile("faithful", learn_codebook=learn))
        updates, _ = opt.update(grads, opt.init(params), params)
        assert float(jnp.abs(updates["mlp"]["w"]).sum()) > 0
        assert (float(jnp.abs(updates["vq"]["codebook"]).sum()) > 0) == learn


def _knobs(**fields):
    return jax.tree.map(lambda x: x[0], asg.knobs_of([asg.AuthorsSetting(**fields)], asg.AuthorsConfig()))


def test_every_augmentation_on_a_hand_made_pair():
    o = np.zeros((1, 4, 4), np.float32)
    o_next = np.zeros((1, 4, 4), np.float32)
    o[0, 1, 2], o_next[0, 1, 3] = 1.0, 1.0
    o[0, 3] = [1, 0, 1, 0]
    o_next[0, 3] = [0, 1, 1, 1]
    pairs = aw.Pairs(jnp.asarray(o), jnp.asarray(o_next), jnp.asarray([RIGHT]))
    # Target's fresh row: only column 3 lit; the IDM's fresh row: only column 0; the coin 0.7 (>= 1/2).
    draws = at.BatchDraws(jnp.asarray([0b1000], jnp.uint8), jnp.asarray([0b0001], jnp.uint8), jnp.asarray([0.7]))
    got = {a: [np.asarray(x)[0] for x in at.augment(pairs, draws, _knobs(augmentation=a))]
           for a in asg.AUGMENTATIONS}
    fresh_target, fresh_idm = [0, 0, 0, 1], [1, 0, 0, 0]
    # (IDM's o noise row, target's noise row) of each recipe, by hand.
    want = {"none": (o[0, 3], o_next[0, 3]), "copy": (o_next[0, 3], o[0, 3]), "fresh": (o_next[0, 3], fresh_target),
            "copy_half": (o[0, 3], o_next[0, 3]),  # the coin says: not this sample
            "idm_copy": (o_next[0, 3], o_next[0, 3]), "idm_fresh": (fresh_idm, o_next[0, 3]),
            "fresh_both": (fresh_idm, fresh_target)}
    assert set(want) == set(asg.AUGMENTATIONS)
    for a, (idm_row, target_row) in want.items():
        idm_o, idm_o_next, fdm_o, target = got[a]
        np.testing.assert_array_equal(idm_o[3], idm_row, err_msg=a)
        np.testing.assert_array_equal(target[3], target_row, err_msg=a)
        np.testing.assert_array_equal(idm_o[:3], o[0, :3])  # the agent rows are untouched
        np.testing.assert_array_equal(idm_o_next, o_next[0])
        np.testing.assert_array_equal(fdm_o, o[0])  # the FDM's input is never changed
        np.testing.assert_array_equal(target[:3], o_next[0, :3])
        # The per-frame formulation's IDM rows are the same frames.
        ids = aw.PairIds(aw.frame_id(jnp.asarray([6]), jnp.asarray([0b0101])),
                         aw.frame_id(jnp.asarray([7]), jnp.asarray([0b1110])))
        distinct = at.distinct_frames(ids, draws, _knobs(augmentation=a))
        np.testing.assert_array_equal(np.asarray(distinct.frames[distinct.idm_o])[0], idm_o, err_msg=a)
    heads = draws._replace(coin=jnp.asarray([0.2]))
    np.testing.assert_array_equal(np.asarray(at.augment(pairs, heads, _knobs(augmentation="copy_half"))[3])[0, 3],
                                  o[0, 3])
    high = at.augment(pairs, draws, _knobs(augmentation="fresh", noise_intensity=2.0))[3]
    np.testing.assert_array_equal(np.asarray(high)[0, 3], [0, 0, 0, 2])


def _vq(index, z_e):
    z_e = jnp.asarray(z_e, jnp.float32)
    return at.VQOutput(z_e, z_e, jnp.asarray(index), z_e)


def test_the_dead_code_rule_strikes_and_resets():
    config = asg.profile("faithful", width=2, mlp_width=2)
    codebook = jnp.zeros((5, 16))
    state = at.AuthorsState({"vq": {"codebook": codebook}}, {}, None, jnp.asarray([3, 0, 0, 0, 3]),
                            jnp.zeros(5, jnp.int32), None)
    n = 1024
    # Code 0 takes 1021 samples, code 1 two (2/1024 >= 0.1%), code 3 one (1/1024 < 0.1%); 2 and 4 none.
    index = np.zeros(n, np.int32)
    index[[5, 6]], index[7] = 1, 3
    z_e = np.arange(n * 16, dtype=np.float32).reshape(n, 16)
    mask = jnp.ones(n, bool)
    new = at.dead_codes(state, _vq(index, z_e), mask, jnp.bool_(True), config)
    # Code 4 had 3 strikes: a 4th is "more than 3", so it becomes sample 4's latent, strikes from 0.
    np.testing.assert_array_equal(new.strikes, [3, 0, 1, 1, 0])
    np.testing.assert_array_equal(new.resets, [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(new.params["vq"]["codebook"][4], z_e[4])
    np.testing.assert_array_equal(new.params["vq"]["codebook"][:4], 0)
    # Strikes are not cleared by use: code 0 keeps its 3.
    # No check this epoch (or a run with labels): nothing changes.
    kept = at.dead_codes(state, _vq(index, z_e), mask, jnp.bool_(False), config)
    np.testing.assert_array_equal(kept.strikes, state.strikes)
    np.testing.assert_array_equal(kept.params["vq"]["codebook"], codebook)
    # A part-filled last batch: shares count real rows only, and code k takes real sample k.
    short = jnp.arange(n) < 3
    index = np.zeros(n, np.int32)
    index[3:] = 4  # padding rows, not counted
    new = at.dead_codes(state, _vq(index, z_e), short, jnp.bool_(True), config)
    np.testing.assert_array_equal(new.resets, [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(new.params["vq"]["codebook"][4], z_e[4 % 3])


def test_settings_and_profiles_are_validated():
    faithful = asg.profile("faithful")
    assert (faithful.width, faithful.mlp_width, faithful.batch, faithful.epochs) == (64, 512, 1024, 400)
    assert (faithful.n_train, faithful.updates_per_epoch, faithful.learning_rate) == (3800, 4, 1e-4)
    assert (faithful.codebook_weight, faithful.commitment, faithful.label_weight) == (0.1, 0.025, 0.1)
    cpu = asg.profile("cpu")
    assert dataclasses.replace(cpu, width=64, mlp_width=512) == faithful  # only the widths differ
    assert asg.knobs_of([asg.AuthorsSetting(label_rate=0.01)], faithful).labelled.tolist() == [40]
    with pytest.raises(InputError, match="augmentation='shift' is invalid"):
        asg.AuthorsSetting(augmentation="shift")
    with pytest.raises(InputError, match="metric_epochs=10 is invalid"):
        asg.profile("faithful", epochs=5)
    with pytest.raises(InputError, match="train_share"):
        asg.profile("faithful", trajectories=10, train_share=0.05)  # int(0.5) = 0 training trajectories
    with pytest.raises(InputError, match="profile='gpu' is invalid"):
        asg.profile("gpu")
    with pytest.raises(InputError, match="learn_codebook=1 is invalid"):
        asg.profile("cpu", learn_codebook=1)
