"""The network pieces both Table 1 protocols build on (:mod:`lamsim.gridworld.ours` and
:mod:`lamsim.gridworld.authors`), in flax: the 3x3 convolution of small grids as matmuls
(:class:`Conv3x3`, in the layouts :data:`LAYOUTS`) and the vector quantiser (:class:`VectorQuantiser`,
whose outputs a LAM returns as a :class:`VQOutput`).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def _column_taps(w: int, wrap: bool) -> np.ndarray:
    """C [3, w, w]: C[j, p, q] = 1 where input column q is kernel column j of
    output column p (wrapping around when ``wrap``, else zero padded)."""
    taps = np.zeros((3, w, w), np.float32)
    for j in range(3):
        for p in range(w):
            q = p + j - 1
            if wrap or 0 <= q < w:
                taps[j, p, q % w] = 1.0
    return taps


def _grid_taps(h: int, w: int, wrap: bool) -> np.ndarray:
    """T [3, 3, h*w, h*w]: T[i, j, q, p] = 1 where input cell q is kernel tap (i, j) of output
    cell p (rows zero padded; columns wrapping around when ``wrap``, else zero padded)."""
    taps = np.zeros((3, 3, h * w, h * w), np.float32)
    for i in range(3):
        for j in range(3):
            for r in range(h):
                for c in range(w):
                    q_row, q_col = r + i - 1, c + j - 1
                    if 0 <= q_row < h and (wrap or 0 <= q_col < w):
                        taps[i, j, q_row * w + q_col % w, r * w + c] = 1.0
    return taps


def _quadrant_taps() -> np.ndarray:
    """T [3, 3, 4, 9, 4] of a zero-padded 4x4 grid: T[i, j, k, q, p] = 1 where cell q of the 3x3
    input window of quadrant k (rows and columns 0-2 for the first half, 1-3 for the second) is
    kernel tap (i, j) of output cell p of that quadrant's 2x2 block (quadrants and cells row-major)."""
    taps = np.zeros((3, 3, 4, 9, 4), np.float32)
    for k, (half_row, half_col) in enumerate(np.ndindex(2, 2)):
        for p, (a, b) in enumerate(np.ndindex(2, 2)):
            row, col = 2 * half_row + a, 2 * half_col + b
            for i, j in np.ndindex(3, 3):
                q_row, q_col = row + i - 1, col + j - 1
                if 0 <= q_row < 4 and 0 <= q_col < 4:
                    taps[i, j, k, (q_row - half_row) * 3 + q_col - half_col, p] = 1.0
    return taps


LAYOUTS = ("band", "dense", "quadrants")


class Conv3x3(nn.Module):
    """3x3 convolution [B, H, W, C] -> [B, H, W, features] (cross-correlation,
    as ``jax.lax.conv_general_dilated``). Rows are zero padded; columns wrap
    around when ``wrap``, else they are zero padded.

    On grids this small a convolution is cheapest as matmuls. Each output row
    reads three input rows, so the input is zero padded by one row at the top
    and bottom, the three rows around every output row are laid side by side
    ([B, H, 3*W*C]) and multiplied by one [3*W*C, W*features] band matrix that
    the kernel defines (column wrap-around or padding lives in it). This is the
    dense [H*W*C, H*W*features] matrix of the whole grid without the blocks
    that are zero for every kernel: a quarter fewer multiply-adds at 4x4, and a
    matrix small enough to rebuild from the kernel at every call (it is an
    einsum with a fixed 0/1 array, so weights stay shared and gradients reach
    the kernel). Vmapped over runs, both matmuls are batched.

    That is ``layout`` "band". Two more layouts compute the same convolution with fewer
    multiply-adds on the grids of the authors' Table 1 model. "dense": the whole grid is one
    [H*W*C, H*W*features] matrix; on a 2x2 grid, where every output cell reads every input cell,
    those are the convolution's own multiply-adds, a third fewer than the band's. "quadrants" (a
    4x4 grid, zero padded): each 2x2 quadrant of the output reads only a 3x3 window of the input,
    so the four quadrants are one batched matmul of [B, 9*C] windows by four [9*C, 4*features]
    matrices, a quarter fewer multiply-adds than the band's.
    """

    features: int
    wrap: bool = True  # columns wrap around (else zero padded)
    kernel_init: Callable = nn.initializers.lecun_normal()
    bias_init: Callable = nn.initializers.zeros
    layout: str = "band"

    @nn.compact
    def __call__(self, x):
        b, h, w, c = x.shape
        kernel = self.param("kernel", self.kernel_init, (3, 3, c, self.features))
        bias = self.param("bias", self.bias_init, (self.features,))
        if self.layout == "dense":
            matrix = jnp.einsum("ijqp,ijcf->qcpf", _grid_taps(h, w, self.wrap), kernel)
            return (x.reshape(b, h * w * c) @ matrix.reshape(h * w * c, h * w * self.features)).reshape(
                b, h, w, self.features) + bias
        if self.layout == "quadrants":
            if (h, w, self.wrap) != (4, 4, False):
                raise ValueError(f"layout='quadrants' needs a zero-padded 4x4 grid, got {h}x{w} (wrap={self.wrap})")
            matrix = jnp.einsum("ijkqp,ijcf->kqcpf", _quadrant_taps(), kernel).reshape(4, 9 * c, 4 * self.features)
            windows = jnp.stack([x[:, r:r + 3, s:s + 3].reshape(b, 9 * c) for r, s in np.ndindex(2, 2)])
            y = jnp.einsum("kbi,kio->kbo", windows, matrix).reshape(2, 2, b, 2, 2, self.features)
            return y.transpose(2, 0, 3, 1, 4, 5).reshape(b, h, w, self.features) + bias
        matrix = jnp.einsum("jpq,ijcf->iqcpf", _column_taps(w, self.wrap), kernel).reshape(3 * w * c, w * self.features)
        rows = jnp.pad(x.reshape(b, h, w * c), ((0, 0), (1, 1), (0, 0)))
        window = jnp.concatenate([rows[:, i:i + h] for i in range(3)], axis=-1)
        return (window.reshape(b * h, 3 * w * c) @ matrix).reshape(b, h, w, self.features) + bias


class VectorQuantiser(nn.Module):
    """z_e [B, D] -> (z_q [B, D] straight-through, index [B], code [B, D]).

    z_q equals the nearest code in value and z_e in gradient.
    """

    codes: int
    latent_dim: int

    @nn.compact
    def __call__(self, z_e):
        codebook = self.param("codebook", nn.initializers.normal(1.0), (self.codes, self.latent_dim))
        distance = jnp.sum((z_e[:, None, :] - codebook[None]) ** 2, axis=-1)
        index = jnp.argmin(distance, axis=-1)
        code = codebook[index]
        return z_e + jax.lax.stop_gradient(code - z_e), index, code


class VQOutput(NamedTuple):
    """z_e, z_q, code: [B, D]; index: [B] int."""

    z_e: jax.Array
    z_q: jax.Array
    index: jax.Array
    code: jax.Array
