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
"""
from __future__ import annotations

from typing import Optional

import flax.linen as nn
import jax
import jax.numpy as jnp

from lamsim.gridworld.authors_settings import AuthorsConfig
from lamsim.gridworld.networks import Conv3x3, VectorQuantiser, VQOutput
from lamsim.gridworld.world import SIZE

#: Size of the latent: it is drawn as a 4x4 plane beside o.
LATENT_DIM = SIZE * SIZE
#: PyTorch's BatchNorm defaults: running averages move 0.1 of the way per batch.
BN_MOMENTUM = 0.1
BN_EPSILON = 1e-5

#: PyTorch's default kernel initialisation: uniform in +-1/sqrt(fan_in).
torch_kernel_init = nn.initializers.variance_scaling(1.0 / 3.0, "fan_in", "uniform")


def torch_bias_init(fan_in: int):
    """PyTorch's default bias initialisation of a layer with ``fan_in`` inputs: uniform in +-1/sqrt(fan_in)."""
    bound = 1.0 / fan_in ** 0.5

    def init(key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, shape, dtype, -bound, bound)

    return init


def _conv(features: int, channels: int) -> Conv3x3:
    return Conv3x3(features, wrap=False, kernel_init=torch_kernel_init, bias_init=torch_bias_init(9 * channels))


def _dense(features: int, inputs: int) -> nn.Dense:
    return nn.Dense(features, kernel_init=torch_kernel_init, bias_init=torch_bias_init(inputs))


def _pool(h):
    """2x2 average pool of [B, H, W, C]."""
    b, height, width, c = h.shape
    return h.reshape(b, height // 2, 2, width // 2, 2, c).mean(axis=(2, 4))


class ConvReluNorm(nn.Module):
    """3x3 convolution (zero padded), ReLU, BatchNorm: [B, H, W, C] -> [B, H, W, features]."""

    features: int

    @nn.compact
    def __call__(self, x, train: bool, mask: Optional[jax.Array]):
        h = nn.relu(_conv(self.features, x.shape[-1])(x))
        bn_mask = None if mask is None else mask[:, None, None, None]
        return nn.BatchNorm(use_running_average=not train, momentum=1.0 - BN_MOMENTUM, epsilon=BN_EPSILON)(
            h, mask=bn_mask)


class FrameEncoder(nn.Module):
    """One frame [B, 4, 4] -> 4 features [B, 4] (a 2x2 map, row-major)."""

    width: int

    @nn.compact
    def __call__(self, frame, train: bool = True, mask: Optional[jax.Array] = None):
        h = ConvReluNorm(self.width)(frame[..., None], train, mask)
        h = ConvReluNorm(self.width)(h, train, mask)
        h = nn.relu(_conv(1, self.width)(_pool(h)))
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

    @nn.compact
    def __call__(self, o, z, train: bool = True, mask: Optional[jax.Array] = None):
        h = jnp.stack([o, z.reshape(o.shape)], axis=-1)
        h = ConvReluNorm(self.width)(h, train, mask)
        h = ConvReluNorm(self.width)(h, train, mask)
        h = ConvReluNorm(self.width)(_pool(h), train, mask)
        h = jnp.repeat(jnp.repeat(h, 2, axis=1), 2, axis=2)
        h = ConvReluNorm(self.width)(h, train, mask)
        return nn.relu(_conv(1, self.width)(h))[..., 0]


class AuthorsLAM(nn.Module):
    """Encoder on o and on o' -> MLP -> VQ -> FDM.

    The IDM's frames and the FDM's o are separate arguments, so that augmentation can change
    them apart. ``labelled`` [B] (bool) and ``action`` [B] (int) replace the quantised latent fed
    to the FDM by the code of the sample's action (code k for action k, no gradient) where
    ``labelled``; the returned :class:`~lamsim.gridworld.networks.VQOutput` holds the
    quantisation before that replacement.
    """

    config: AuthorsConfig

    def setup(self):
        self.encoder = FrameEncoder(self.config.width)
        self.mlp = LatentMLP(self.config.mlp_width)
        self.vq = VectorQuantiser(self.config.codes, LATENT_DIM)
        self.fdm = AuthorsFDM(self.config.width)

    def __call__(self, idm_o, idm_o_next, fdm_o, labelled=None, action=None, train: bool = True, mask=None):
        """Frames [B, 4, 4] each; labelled [B] bool, action [B] int (optional); mask [B] bool
        (optional: the samples that count in BatchNorm's statistics) -> (o'_hat [B, 4, 4], VQOutput)."""
        features = jnp.concatenate([self.encoder(idm_o, train, mask), self.encoder(idm_o_next, train, mask)], axis=-1)
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
