"""The linear model's functions as the tests call them outside a compiled program, compiled once per
shape: called eagerly, JAX compiles each operation of the closed form on its own (hundreds of
compiles for one expected loss and its gradient). The same functions, the same arguments; only the
float32 rounding of a fused program differs, far inside every tolerance the tests use."""
import jax

from lamsim.linear import exact, model, world

#: The static flags of :func:`lamsim.linear.exact.expected_loss` (which terms a group draws).
_EXACT_FLAGS = ("iid", "exo", "augment", "labels", "uniform", "state", "mask")

expected_loss = jax.jit(exact.expected_loss, static_argnums=3, static_argnames=_EXACT_FLAGS)
expected_loss_and_grad = jax.jit(jax.value_and_grad(exact.expected_loss), static_argnums=3,
                                 static_argnames=_EXACT_FLAGS)
expected_grad = jax.jit(jax.grad(exact.expected_loss), static_argnums=3, static_argnames=_EXACT_FLAGS)
batch_gradient_variance = jax.jit(exact.batch_gradient_variance, static_argnums=3,
                                  static_argnames=("iid", "exo", "augment", "uniform"))
sample_loss = jax.jit(model.loss)
sources = jax.jit(model.sources, static_argnames=("mask",))
raw_batch = jax.jit(world.raw_batch, static_argnums=(1, 2, 3, 4),
                    static_argnames=("iid", "exo", "augment", "labels", "generator", "uniform", "state"))
