"""The non-linear LAM's networks (paper Sec. 5), in flax.

IDM: a small CNN on (o, o') stacked as two channels -> encoder output z_e [D].
VQ bottleneck: the nearest of ``codes`` (5) codebook vectors, straight-through
gradients to the encoder, codebook and commitment losses (VQ-VAE).
FDM: a small UNet on o (4x4 -> 2x2 -> 4x4 with a skip), conditioned on the
quantised latent by FiLM (per-channel scale and shift) at both resolutions,
predicting o'. Why the IDM zero pads its columns and the FDM wraps them is in
docs/design.md.
"""
from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from lamsim.gridworld.layers import Conv3x3, VectorQuantiser, VQOutput
from lamsim.gridworld.ours.settings import Config


class IDM(nn.Module):
    """Inverse dynamics: (o, o') [B, 4, 4] each -> encoder output z_e [B, D].

    Two convolutions (a 5x5 receptive field: one-cell moves, and the rows'
    wrap-around, which puts the agent two rows away), then dense layers on the
    flattened grid, so z_e may also depend on where things are (which cells
    of the noise row are lit, which row and column the agent is in). The
    convolutions zero pad the columns unless ``wrap``.
    """

    width: int
    latent_dim: int
    wrap: bool = True

    @nn.compact
    def __call__(self, o, o_next):
        h = nn.relu(Conv3x3(self.width, self.wrap)(jnp.stack([o, o_next], axis=-1)))
        h = nn.relu(Conv3x3(self.width, self.wrap)(h))
        h = nn.relu(nn.Dense(self.width)(h.reshape(h.shape[0], -1)))
        return nn.Dense(self.latent_dim)(h)


def _film(h, z, features: int):
    """Condition features h [B, H, W, features] on z [B, D]: h * (1 + scale(z)) + shift(z)."""
    scale, shift = jnp.split(nn.Dense(2 * features)(z)[:, None, None], 2, axis=-1)
    return h * (1 + scale) + shift


class FDM(nn.Module):
    """Forward dynamics, a small UNet: o [B, 4, 4] and latent z [B, D] -> o'_hat [B, 4, 4].

    The latent modulates the features at 4x4 and at 2x2 (FiLM: a per-channel
    scale and shift), so it can select which neighbour's content a cell takes,
    as an action does, not only add a constant.
    """

    width: int
    wrap: bool = True

    @nn.compact
    def __call__(self, o, z):
        b = o.shape[0]
        skip = nn.relu(_film(Conv3x3(self.width, self.wrap)(o[..., None]), z, self.width))
        down = skip.reshape(b, 2, 2, 2, 2, self.width).mean(axis=(2, 4))
        mid = nn.relu(_film(Conv3x3(2 * self.width, self.wrap)(down), z, 2 * self.width))
        up = jnp.repeat(jnp.repeat(nn.Dense(self.width)(mid), 2, axis=1), 2, axis=2)
        # An additive skip (not concatenation) halves the costliest convolution.
        h = nn.relu(Conv3x3(self.width, self.wrap)(skip + up))
        return nn.Dense(1)(h)[..., 0]


class LAM(nn.Module):
    """IDM -> VQ -> FDM. The IDM and FDM inputs are separate arguments so that
    augmentation can shift them independently."""

    config: Config

    def setup(self):
        self.idm = IDM(self.config.width, self.config.latent_dim, self.config.idm_wrap)
        self.vq = VectorQuantiser(self.config.codes, self.config.latent_dim)
        self.fdm = FDM(self.config.width, self.config.fdm_wrap)

    def __call__(self, idm_o, idm_o_next, fdm_o):
        """(o, o') for the IDM and o for the FDM, [B, 4, 4] each ->
        (o'_hat [B, 4, 4], VQOutput)."""
        z_e = self.idm(idm_o, idm_o_next)
        z_q, index, code = self.vq(z_e)
        return self.fdm(fdm_o, z_q), VQOutput(z_e, z_q, index, code)

    def predict_with_code(self, o, code):
        """The FDM's o'_hat [B, 4, 4] for o [B, 4, 4] and given latents [B, D]."""
        return self.fdm(o, code)


def codebook_of(params) -> jax.Array:
    """The codebook [codes, D] inside a LAM's parameters."""
    return params["params"]["vq"]["codebook"]


def _with_codebook(params, codebook):
    inner = dict(params["params"])
    inner["vq"] = {**inner["vq"], "codebook": codebook}
    return {**params, "params": inner}
