"""The non-linear LAM of Table 1 as the authors built it (paper Sec. 5; their released
grid-world code), in flax.

IDM: one CNN encoder applied to o and to o' separately (3x3 convolution 1 -> W, ReLU,
BatchNorm; 3x3 convolution W -> W, ReLU, BatchNorm; 2x2 average pool; 3x3 convolution W -> 1,
ReLU: 4 features per frame), then an MLP on the 8 concatenated features (M, ReLU, M, ReLU, 16).
VQ: the nearest of ``codes`` codes of 16 (standard normal at the start), straight-through.
FDM: the latent reshaped to a 4x4 plane, stacked with o as a second channel, then 3x3
convolutions 2 -> W, W -> W, a 2x2 average pool, W -> W at 2x2, a nearest-neighbour upsampling
x2, W -> W and W -> 1, each hidden one followed by ReLU then BatchNorm, the output by ReLU; no
skip connections. Every convolution zero pads.

BatchNorm runs in training mode (statistics of the batch) in training and in the metrics, as the
authors' code does; its running averages are kept in ``batch_stats`` and used only with
``train=False``. A ``mask`` [B] leaves padding samples out of the batch statistics. Initial
weights follow PyTorch's defaults (every kernel and bias uniform in +-1/sqrt(fan_in)), and
BatchNorm its momentum 0.1 and epsilon 1e-5.

Two formulations of one function (:data:`FORMULATIONS`), with the same parameters:
"per-sample" runs the encoder on each sample's two frames (2B frames a batch);
"per-frame" (:meth:`AuthorsLAM.per_frame`) runs it once on each of the world's 192 distinct
frames for o and once for o', with BatchNorm's batch statistics weighted by how often each frame
occurs among the batch's o (or o'), and gathers each sample's features from there; and every
convolution takes the layout with the fewest multiply-adds for its grid
(:class:`~lamsim.gridworld.layers.Conv3x3`: quadrants at 4x4, dense at 2x2). Automatic
differentiation of the gather sums each sample's gradient into its frame's, so losses, gradients
and BatchNorm statistics are those of "per-sample" up to float32 rounding.
"""
from __future__ import annotations

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

from lamsim.gridworld.authors.settings import AuthorsConfig
from lamsim.gridworld.layers import Conv3x3, VectorQuantiser, VQOutput
from lamsim.gridworld.grid import SIZE

#: Size of the latent: it is drawn as a 4x4 plane beside o.
LATENT_DIM = SIZE * SIZE
#: PyTorch's BatchNorm defaults: running averages move 0.1 of the way per batch.
BN_MOMENTUM = 0.1
BN_EPSILON = 1e-5

FORMULATIONS = ("per-sample", "per-frame")

#: PyTorch's default kernel initialisation: uniform in +-1/sqrt(fan_in).
torch_kernel_init = nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


def torch_bias_init(fan_in: int):
    """PyTorch's default bias initialisation of a layer with ``fan_in`` inputs: uniform in +-1/sqrt(fan_in)."""
    bound = 1.0 / fan_in ** 0.5

    def init(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


def _conv(features: int, x: jax.Array, fast: bool = False) -> Conv3x3:
    """The 3x3 convolution (zero padded) of x [B, H, W, C] to ``features``; ``fast``: in the layout
    with the fewest multiply-adds for its grid (quadrants at 4x4, dense at 2x2), else the band."""
    layout = {4: "quadrants", 2: "dense"}.get(x.shape[1], "band") if fast else "band"
    return Conv3x3(features, wrap=False, kernel_init=torch_kernel_init, bias_init=torch_bias_init(9 * x.shape[-1]),
                   layout=layout)


def _dense(features: int, inputs: int) -> nn.Dense:
    return nn.Dense(features, kernel_init=torch_kernel_init, bias_init=torch_bias_init(inputs))


def _pool(h):
    """2x2 average pool of [B, H, W, C]."""
    b, height, width, c = h.shape
    return h.reshape(b, height // 2, 2, width // 2, 2, c).mean(axis=(2, 4))


class WeightedBatchNorm(nn.Module):
    """BatchNorm over a batch in which sample n stands ``weight[n]`` times: x [N, H, W, C], weight
    [N] (>= 0, not all 0) -> [N, H, W, C]. The statistics over (N, H, W) are weighted means, as
    flax's ``nn.BatchNorm`` computes them (variance E[x^2] - E[x]^2, clipped at 0), with the same
    parameters (scale, bias) and running averages (mean, var), updated the same way; with
    ``train`` False the running averages normalise instead."""

    momentum: float = 1.0 - BN_MOMENTUM
    epsilon: float = BN_EPSILON

    @nn.compact
    def __call__(self, x, weight, train: bool = True):
        features = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (features,))
        bias = self.param("bias", nn.initializers.zeros, (features,))
        ra_mean = self.variable("batch_stats", "mean", jnp.zeros, (features,))
        ra_var = self.variable("batch_stats", "var", jnp.ones, (features,))
        if train:
            w = weight[:, None, None, None] / (jnp.sum(weight) * x.shape[1] * x.shape[2])
            mean = jnp.sum(w * x, axis=(0, 1, 2))
            var = jnp.maximum(0.0, jnp.sum(w * x * x, axis=(0, 1, 2)) - mean * mean)
            if not self.is_initializing():
                ra_mean.value = self.momentum * ra_mean.value + (1 - self.momentum) * mean
                ra_var.value = self.momentum * ra_var.value + (1 - self.momentum) * var
        else:
            mean, var = ra_mean.value, ra_var.value
        return (x - mean) * (jax.lax.rsqrt(var + self.epsilon) * scale) + bias


class ConvReluNorm(nn.Module):
    """3x3 convolution (zero padded), ReLU, BatchNorm: [B, H, W, C] -> [B, H, W, features].

    BatchNorm's statistics leave out the samples where ``mask`` [B] is False, or, given
    ``weight`` [B], count sample n ``weight[n]`` times (:class:`WeightedBatchNorm`). ``fast``: the
    convolution in its fastest layout (see :func:`_conv`)."""

    features: int
    fast: bool = False

    @nn.compact
    def __call__(self, x, train: bool, mask: Optional[jax.Array], weight: Optional[jax.Array] = None):
        h = nn.relu(_conv(self.features, x, self.fast)(x))
        if weight is not None:
            return WeightedBatchNorm(name="BatchNorm_0")(h, weight, train)
        bn_mask = None if mask is None else mask[:, None, None, None]
        return nn.BatchNorm(use_running_average=not train, momentum=1.0 - BN_MOMENTUM, epsilon=BN_EPSILON)(
            h, mask=bn_mask)


class FrameEncoder(nn.Module):
    """One frame [B, 4, 4] -> 4 features [B, 4] (a 2x2 map, row-major); ``mask`` or ``weight``
    [B] and ``fast`` as in :class:`ConvReluNorm`."""

    width: int
    fast: bool = False

    @nn.compact
    def __call__(self, frame, train: bool = True, mask: Optional[jax.Array] = None,
                 weight: Optional[jax.Array] = None):
        h = ConvReluNorm(self.width, self.fast)(frame[..., None], train, mask, weight)
        h = ConvReluNorm(self.width, self.fast)(h, train, mask, weight)
        h = _pool(h)
        h = nn.relu(_conv(1, h, self.fast)(h))
        return h.reshape(h.shape[0], -1)


class LatentMLP(nn.Module):
    """The 8 features of (o, o') [B, 8] -> the pre-quantisation latent z_e [B, 16]."""

    mlp_width: int

    @nn.compact
    def __call__(self, x):
        h = nn.relu(_dense(self.mlp_width, x.shape[-1])(x))
        h = nn.relu(_dense(self.mlp_width, self.mlp_width)(h))
        return _dense(LATENT_DIM, self.mlp_width)(h)


class AuthorsFDM(nn.Module):
    """o [B, 4, 4] and latent z [B, 16] -> o'_hat [B, 4, 4] (an encoder-decoder without skips)."""

    width: int
    fast: bool = False  # each convolution in its fastest layout (see :func:`_conv`)

    @nn.compact
    def __call__(self, o, z, train: bool = True, mask: Optional[jax.Array] = None):
        h = jnp.stack([o, z.reshape(o.shape)], axis=-1)
        h = ConvReluNorm(self.width, self.fast)(h, train, mask)
        h = ConvReluNorm(self.width, self.fast)(h, train, mask)
        h = ConvReluNorm(self.width, self.fast)(_pool(h), train, mask)
        h = jnp.repeat(jnp.repeat(h, 2, axis=1), 2, axis=2)
        h = ConvReluNorm(self.width, self.fast)(h, train, mask)
        return nn.relu(_conv(1, h, self.fast)(h))[..., 0]


class AuthorsLAM(nn.Module):
    """Encoder on o and on o' -> MLP -> VQ -> FDM.

    The IDM's frames and the FDM's o are separate arguments, so that augmentation can change
    them apart. ``labelled`` [B] (bool) and ``action`` [B] (int) replace the quantised latent fed
    to the FDM by the code of the sample's action (code k for action k, no gradient) where
    ``labelled``; the returned :class:`~lamsim.gridworld.layers.VQOutput` holds the
    quantisation before that replacement. ``formulation``: one of :data:`FORMULATIONS` (see the
    module docstring); "per-frame" is called through :meth:`per_frame`.
    """

    config: AuthorsConfig
    formulation: str = "per-sample"

    def setup(self):
        if self.formulation not in FORMULATIONS:
            raise ValueError(f"formulation={self.formulation!r} is invalid: must be one of {', '.join(FORMULATIONS)}")
        fast = self.formulation == "per-frame"
        self.encoder = FrameEncoder(self.config.width, fast)
        self.mlp = LatentMLP(self.config.mlp_width)
        self.vq = VectorQuantiser(self.config.codes, LATENT_DIM)
        self.fdm = AuthorsFDM(self.config.width, fast)

    def __call__(self, idm_o, idm_o_next, fdm_o, labelled=None, action=None, train: bool = True, mask=None):
        """Frames [B, 4, 4] each; labelled [B] bool, action [B] int (optional); mask [B] bool
        (optional: the samples that count in BatchNorm's statistics) -> (o'_hat [B, 4, 4], VQOutput)."""
        features = jnp.concatenate([self.encoder(idm_o, train, mask), self.encoder(idm_o_next, train, mask)], axis=-1)
        return self._latent_and_prediction(features, fdm_o, labelled, action, train, mask)

    def per_frame(self, frames, idm_o_id, idm_o_next_id, fdm_o, labelled=None, action=None, train: bool = True,
                  mask=None):
        """:meth:`__call__` with idm_o = frames[idm_o_id] and idm_o_next = frames[idm_o_next_id]:
        frames [K, 4, 4] (every distinct frame, :func:`~lamsim.gridworld.authors.world.frame_table`),
        ids [B] int in [0, K). The encoder runs on the K frames twice, BatchNorm weighting each by
        its count among the (masked) samples' o, then o'."""
        weight = jnp.ones(idm_o_id.shape, jnp.float32) if mask is None else mask.astype(jnp.float32)

        def encode(ids):
            counts = jnp.zeros(frames.shape[0], jnp.float32).at[ids].add(weight)
            return self.encoder(frames, train, weight=counts)[ids]

        features = jnp.concatenate([encode(idm_o_id), encode(idm_o_next_id)], axis=-1)
        return self._latent_and_prediction(features, fdm_o, labelled, action, train, mask)

    def _latent_and_prediction(self, features, fdm_o, labelled, action, train, mask):
        z_e = self.mlp(features)
        z_q, index, code = self.vq(z_e)
        latent = z_q
        if labelled is not None:
            owned = jax.lax.stop_gradient(self.codebook()[action])
            latent = jnp.where(labelled[:, None], owned, z_q)
        return self.fdm(fdm_o, latent, train, mask), VQOutput(z_e, z_q, index, code)

    def predict_with_latent(self, o, z, train: bool = True, mask=None):
        """The FDM's o'_hat [B, 4, 4] for o [B, 4, 4] and given latents z [B, 16]."""
        return self.fdm(o, z, train, mask)

    def codebook(self) -> jax.Array:
        """The codebook [codes, 16]."""
        return self.vq.variables["params"]["codebook"]
