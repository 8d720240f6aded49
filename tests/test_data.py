import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lamsim.linear import model
from lamsim.linear import world as data


def _normals(seed=0, batch=4096, width=64):
    return np.asarray(data.stream_normal(jax.random.key(seed), batch, width), np.float64)


def test_stream_normal_moments_and_tails():
    z = _normals().ravel()  # 262,144 draws
    n = z.size
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(np.mean(z ** 4) - 3) < 5 * np.sqrt(96 / n)
    # Tail mass beyond 3 sigma: 0.0027 for a Gaussian.
    assert abs(np.mean(np.abs(z) > 3) - 0.0026998) < 5 * np.sqrt(0.0027 / n)


def test_stream_normal_is_white_across_samples_coordinates_keys_and_halves():
    z = _normals(batch=4096, width=64)
    corr = np.corrcoef(z.T)  # 64 coordinates, incl. the cos/sin halves (j, j + 32)
    off = corr[~np.eye(64, dtype=bool)]
    assert np.max(np.abs(off)) < 5 / np.sqrt(4096)
    other = _normals(seed=1, batch=4096, width=64)
    assert abs(np.corrcoef(z.ravel(), other.ravel())[0, 1]) < 5 / np.sqrt(z.size)
    # Squares of the Box-Muller pair are uncorrelated too (dependence shows in higher moments).
    assert abs(np.corrcoef(z[:, 0] ** 2, z[:, 32] ** 2)[0, 1]) < 5 / np.sqrt(4096)


def test_stream_uniform_range_and_mean():
    u = np.asarray(data.stream_uniform(jax.random.key(3), 100_000))
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)


@pytest.mark.slow
def test_padded_streams_and_environment_keep_their_prefix():
    key = jax.random.key(7)
    narrow = data.stream_normal_columns(key, 32, 3)
    wide = data.stream_normal_columns(key, 32, 16)
    np.testing.assert_array_equal(np.asarray(narrow), np.asarray(wide[:, :3]))
    e4, e16 = data.environment_f64(5, 64, 4, 2), data.environment_f64(5, 64, 16, 2)
    np.testing.assert_allclose(e4["action_effect"], e16["action_effect"][:, :4], atol=1e-12)
    np.testing.assert_allclose(e4["policy_map"], e16["policy_map"][:4], atol=1e-12)


def test_environment_is_orthonormal_and_seeded():
    env = data.environment_f64(0, 128, 8, 8)
    for m in (env["action_effect"], env["noise_map"], env["policy_map"].T):
        np.testing.assert_allclose(m.T @ m, np.eye(8), atol=1e-12)
    again = data.environment_f64(0, 128, 8, 8)
    other = data.environment_f64(1, 128, 8, 8)
    np.testing.assert_array_equal(env["action_effect"], again["action_effect"])
    assert np.abs(env["action_effect"] - other["action_effect"]).max() > 0.1
    # X and Y are independent draws: their overlap is that of random 8-dim subspaces of R^128.
    assert np.sum((env["action_effect"].T @ env["noise_map"]) ** 2) / 8 < 0.25


@pytest.mark.slow
def test_raw_batch_skips_unused_streams():
    raw = data.raw_batch(jax.random.key(0), 16, 32, 4, 2, iid=False, exo=True, augment=False, labels=True)
    assert raw.iid is None and raw.shift_idm is None and raw.shift_fdm is None
    assert raw.exo.shape == (16, 2) and raw.label_draw.shape == (16,) and raw.obs.shape == (16, 32)
    assert raw.obs.dtype == jnp.float32


def _init_per_matrix(key, knobs, d_o, d_a, d_z, learn_a, idm):
    """The initialisation as its docstring defines it: row r of each matrix from its own
    fold_in(split(key, 5)[matrix], r), a draw per matrix, scaled by 1/sqrt(fan_in) and masked."""
    keys = jax.random.split(key, 5)

    def rows(k, n, cols):
        folded = jax.vmap(lambda r: jax.random.fold_in(keys[k], r))(jnp.arange(n))
        return jax.vmap(lambda f: jax.random.uniform(f, (cols,), jnp.float32, -1.0, 1.0))(folded)

    a_mask, z_mask = model.masks(knobs, d_a, d_z)
    fan_z = jax.lax.rsqrt(knobs.d_z.astype(jnp.float32))
    empty = jnp.zeros((0, 0), jnp.float32)
    return model.Params(
        A=rows(0, d_o, d_o) * d_o ** -0.5 if learn_a else empty,
        B=(rows(1, d_z, d_o) * fan_z).T * z_mask,
        C=rows(2, d_z, d_o) * d_o ** -0.5 * z_mask[:, None],
        D=rows(3, d_z, d_o) * d_o ** -0.5 * z_mask[:, None] if idm == "full" else empty,
        E=rows(4, d_a, d_z) * fan_z * a_mask[:, None] * z_mask)


@pytest.mark.parametrize("d_o, d_a, d_z, learn_a, idm", [
    (16, 3, 5, True, "full"), pytest.param(12, 6, 12, False, "difference", marks=pytest.mark.slow)])
def test_init_params_draws_once_the_numbers_of_a_draw_per_matrix(d_o, d_a, d_z, learn_a, idm):
    """model.init_params cuts every matrix from one draw: bit for bit the per-matrix definition, over
    a group of padded settings and seeds, vmapped and jitted as training runs it."""
    from lamsim.linear.settings import Setting
    from lamsim.linear.train import knobs_of

    knobs = knobs_of([Setting(d_o=d_o, d_a=a, d_z=z, d_b=2, learn_a=learn_a, idm=idm)
                      for a in (1, d_a) for z in (1, d_z)])

    def group(init):
        return jax.jit(jax.vmap(lambda s: jax.vmap(lambda k: init(jax.random.key(s), k, d_o, d_a, d_z, learn_a, idm))(
            knobs)))(jnp.arange(2))

    got, want = group(model.init_params), group(_init_per_matrix)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
