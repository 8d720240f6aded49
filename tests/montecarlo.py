"""The Monte Carlo harness the closed-form tests share (test_exact, test_idm, test_paper_reading,
test_exo_state): random parameters of the linear LAM, one setting's knobs, and the mean and standard
error of per-batch values against which a closed form is scored in standard errors."""
import jax
import jax.numpy as jnp
import numpy as np

from lamsim.linear.model import Params
from lamsim.linear.train import knobs_of


def random_params(seed: int, d_o: int, d_a: int, d_z: int, a_scale: float = 0.5, learn_a: bool = True,
                  idm: str = "full") -> Params:
    """Every entry random (N(0, 1 / fan-in)), A = I + ``a_scale`` x that; A fixed to I (``learn_a``
    False) and the difference IDM store A and D as [0, 0] (float32)."""
    rng = np.random.default_rng(seed)
    shapes = {"A": (d_o, d_o), "B": (d_o, d_z), "C": (d_z, d_o), "D": (d_z, d_o), "E": (d_a, d_z)}
    p = {n: rng.standard_normal(s) / np.sqrt(s[1]) for n, s in shapes.items()}
    p["A"] = a_scale * p["A"] + np.eye(d_o)
    if not learn_a:
        p["A"] = np.zeros((0, 0))
    if idm == "difference":
        p["D"] = np.zeros((0, 0))
    return Params(**{n: jnp.asarray(v, jnp.float32) for n, v in p.items()})


def knobs(setting):
    """The :class:`~lamsim.linear.model.Knobs` of one setting, as scalars (a vmap's view of it)."""
    return jax.tree.map(lambda v: v[0], knobs_of([setting]))


def moments(sums, n_batches: int, chunk: int, seed: int = 1234):
    """(mean, standard error of the mean) over ``n_batches`` batches, float64, of the tree of per-batch
    values whose chunk sums ``sums(keys [chunk]) -> (tree of sums, tree of sums of squares)`` gives."""
    total = squares = None
    for i in range(n_batches // chunk):
        keys = jax.random.split(jax.random.fold_in(jax.random.key(seed), i), chunk)
        s, q = jax.tree.map(lambda v: np.asarray(v, np.float64), sums(keys))
        total = s if total is None else jax.tree.map(np.add, total, s)
        squares = q if squares is None else jax.tree.map(np.add, squares, q)
    n = chunk * (n_batches // chunk)
    mean = jax.tree.map(lambda s: s / n, total)
    sem = jax.tree.map(lambda s, q: np.sqrt(np.maximum(q / n - (s / n) ** 2, 0.0) / (n - 1)), total, squares)
    return mean, sem
