"""The linear latent action model (paper Sec. 3.2 and App. B).

IDM ``z = C o + D o'``, FDM ``o'_hat = A o + B z``, optional action head
``a_hat = E z``. Sweeps pad d_z and d_a to their largest value in a group and
mask: latent coordinates ``j >= d_z`` are multiplied by 0 (so their rows of
C, D and columns of B and E get zero gradients and stay at their zero
initialisation under Adam), and action coordinates ``i >= d_a`` are 0.

A fixed to I (the authors' Figure 3 scripts, ``Setting.learn_a=False``) is an
``A`` of shape [0, 0]: the FDM then adds B z to o itself, and nothing trains A.
The difference IDM ``z = C (o' - o)`` (``Setting.idm="difference"``, the
authors' scripts with C + D = 0) stores D as [0, 0] too: :func:`full_idm`
turns it into the full form (C, D) = (-C, C) wherever a formula needs both.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from lamsim.linear.world import RawBatch


class Params(NamedTuple):
    """Linear LAM parameters (padded shapes).

    A: [d_o, d_o]  FDM observation map ([0, 0] when A is fixed to I).
    B: [d_o, d_z]  FDM latent map.
    C: [d_z, d_o]  IDM map of o (difference IDM: of o' - o).
    D: [d_z, d_o]  IDM map of o' ([0, 0] for the difference IDM).
    E: [d_a, d_z]  action head (trained only when labels are on).
    """

    A: jax.Array
    B: jax.Array
    C: jax.Array
    D: jax.Array
    E: jax.Array


class Knobs(NamedTuple):
    """The per-setting numbers a group vmaps over (scalars per setting).

    d_a, d_z: int32 true sizes (<= the padded ones); sigma_iid, sigma_exo,
    chi, kappa (= |kappa|), label_rate: float32. Exogenous state (the defaults: none):
    sigma_state (sigma_e), rho, mask_weight (beta) float32; mask_cover, mask_leak int32 (how
    many exogenous and action directions the mask holds).
    """

    d_a: jax.Array
    d_z: jax.Array
    sigma_iid: jax.Array
    sigma_exo: jax.Array
    chi: jax.Array
    kappa: jax.Array
    label_rate: jax.Array
    sigma_state: jax.Array = 0.0
    rho: jax.Array = 1.0
    mask_weight: jax.Array = 1.0
    mask_cover: jax.Array = 0
    mask_leak: jax.Array = 0


class Sources(NamedTuple):
    """One step's data of one seed, before any setting's numbers enter.

    obs [batch, d_o]; policy_drive = obs Pi^T [batch, d_a]; policy_noise s
    [batch, d_a]; iid [batch, d_o] or None; exo_effect = b Y^T [batch, d_o] or
    None; shift_idm, shift_fdm [batch, d_o] or None; label_draw [batch] or None.
    Exogenous state (else None): obs is then u = g (I - P P^T), the part of o outside the
    exogenous directions P (noise_map), state = e P^T, innovation = xi P^T, state_drive =
    e P^T Pi^T [batch, d_a], and state_map P [d_o, d_b] (for the mask).
    """

    obs: jax.Array
    policy_drive: jax.Array
    policy_noise: jax.Array
    iid: jax.Array | None
    exo_effect: jax.Array | None
    shift_idm: jax.Array | None
    shift_fdm: jax.Array | None
    label_draw: jax.Array | None
    state: jax.Array | None = None
    innovation: jax.Array | None = None
    state_drive: jax.Array | None = None
    state_map: jax.Array | None = None


def sources(raw: RawBatch, policy_map: jax.Array, noise_map: jax.Array, mask: bool = False) -> Sources:
    """Apply the seed's fixed maps (Pi, Y) to its raw draws, once for all settings.
    With exogenous state (``raw.innovation`` drawn), ``noise_map`` is P_e (orthogonal to X);
    ``mask`` keeps it as ``state_map`` for the weighted loss."""
    if raw.innovation is not None:
        u = raw.obs - (raw.obs @ noise_map) @ noise_map.T
        state = raw.exo @ noise_map.T
        return Sources(obs=u, policy_drive=u @ policy_map.T, policy_noise=raw.policy_noise, iid=None,
                       exo_effect=None, shift_idm=raw.shift_idm, shift_fdm=raw.shift_fdm, label_draw=raw.label_draw,
                       state=state, innovation=raw.innovation @ noise_map.T, state_drive=state @ policy_map.T,
                       state_map=noise_map if mask else None)
    return Sources(
        obs=raw.obs,
        policy_drive=raw.obs @ policy_map.T,
        policy_noise=raw.policy_noise,
        iid=raw.iid,
        exo_effect=None if raw.exo is None else raw.exo @ noise_map.T,
        shift_idm=raw.shift_idm,
        shift_fdm=raw.shift_fdm,
        label_draw=raw.label_draw,
    )


def masks(knobs: Knobs, d_a_max: int, d_z_max: int) -> tuple[jax.Array, jax.Array]:
    """(action mask [d_a_max], latent mask [d_z_max]) as float32 0/1 vectors."""
    a_mask = (jnp.arange(d_a_max) < knobs.d_a).astype(jnp.float32)
    z_mask = (jnp.arange(d_z_max) < knobs.d_z).astype(jnp.float32)
    return a_mask, z_mask


def _uniform_rows(keys: jax.Array, sizes: dict) -> dict:
    """{name: [rows, cols] uniform in [-1, 1]} for ``sizes`` {name: (key index, rows, cols)}: row r of
    a matrix from ``fold_in(keys[key index], r)``, its first ``cols`` draws.

    One draw for every matrix (each row ``max(cols)`` wide, then cut): the same numbers as a draw per
    matrix, since the partitionable threefry stream (JAX's default) gives element i of a draw from
    the key and i alone, with one fold_in and one draw for XLA to compile instead of one of each per
    matrix (the trainer's initialisation compiles 1.8x faster, docs/performance.md Sec. 11).
    """
    width = max(cols for _, _, cols in sizes.values())
    index = np.concatenate([np.full(rows, k, np.int32) for k, rows, _ in sizes.values()])
    row = np.concatenate([np.arange(rows, dtype=np.int32) for _, rows, _ in sizes.values()])
    row_keys = jax.vmap(lambda k, r: jax.random.fold_in(keys[k], r))(jnp.asarray(index), jnp.asarray(row))
    draws = jax.vmap(lambda k: jax.random.uniform(k, (width,), jnp.float32, -1.0, 1.0))(row_keys)
    ends = np.cumsum([rows for _, rows, _ in sizes.values()])
    return {name: draws[end - rows:end, :cols] for (name, (_, rows, cols)), end in zip(sizes.items(), ends)}


def init_params(key: jax.Array, knobs: Knobs, d_o: int, d_a_max: int, d_z_max: int,
                learn_a: bool = True, idm: str = "full") -> Params:
    """Uniform[-1/sqrt(fan_in), 1/sqrt(fan_in)] initialisation (fan_in = columns).

    Padded coordinates start at 0. Row/column ``j`` of each matrix is drawn from
    its own folded key, so a padded run starts where an unpadded one does.
    ``learn_a=False``: A is fixed to I, stored as a [0, 0] array.
    ``idm="difference"``: D is tied to -C, stored as a [0, 0] array (C starts
    where the full IDM's C does).
    """
    keys = jax.random.split(key, 5)  # A, B, C, D, E
    sizes = {"A": (0, d_o, d_o), "B": (1, d_z_max, d_o), "C": (2, d_z_max, d_o), "D": (3, d_z_max, d_o),
             "E": (4, d_a_max, d_z_max)}
    if not learn_a:
        del sizes["A"]
    if idm != "full":
        del sizes["D"]
    u = _uniform_rows(keys, sizes)
    a_mask, z_mask = masks(knobs, d_a_max, d_z_max)
    fan_z = knobs.d_z.astype(jnp.float32)
    empty = jnp.zeros((0, 0), jnp.float32)
    return Params(
        A=u["A"] * d_o ** -0.5 if learn_a else empty,
        B=(u["B"] * jax.lax.rsqrt(fan_z)).T * z_mask,
        C=u["C"] * d_o ** -0.5 * z_mask[:, None],
        D=u["D"] * d_o ** -0.5 * z_mask[:, None] if idm == "full" else empty,
        E=u["E"] * jax.lax.rsqrt(fan_z) * a_mask[:, None] * z_mask,
    )


def a_is_fixed(params: Params) -> bool:
    """Whether A is fixed to I (stored as [0, 0]); static under jit."""
    return params.A.size == 0


def full_idm(c, d):
    """The IDM maps in the full form z = C o + D o' (numpy or JAX arrays, [d_z, d_o] each).

    A difference IDM z = C (o' - o) (``d`` of size 0) is (C, D) = (-C, C); a full one is
    returned as it is. Every closed form written for the full IDM (the expected loss, its
    batch variance, the latents' loadings) then holds for both, and gradients reach the
    tied C through the substitution. Static under jit (it reads shapes only).
    """
    return (-c, c) if d.size == 0 else (c, d)


def transition(src: Sources, knobs: Knobs, action_effect: jax.Array, a_mask: jax.Array):
    """The setting's actions and next observations.

    Returns (a [batch, d_a], o' [batch, d_o]) with a = chi Pi o + (1 - chi) s
    and o' = o + X a + eps.
    """
    a = (knobs.chi * src.policy_drive + (1.0 - knobs.chi) * src.policy_noise) * a_mask
    o_next = src.obs + a @ action_effect.T
    if src.iid is not None:
        o_next = o_next + knobs.sigma_iid * src.iid
    if src.exo_effect is not None:
        o_next = o_next + knobs.sigma_exo * src.exo_effect
    return a, o_next


def state_transition(src: Sources, knobs: Knobs, action_effect: jax.Array, a_mask: jax.Array):
    """The exogenous-state world's (o, a, o'): o = u + sigma_e P e, a = chi Pi o + (1 - chi) s,
    o' = o + X a + sigma_e P (e' - e) with e' = rho e + sqrt(1 - rho^2) xi. Each [batch, .]."""
    sigma, rho = knobs.sigma_state, knobs.rho
    obs = src.obs + sigma * src.state
    drive = src.policy_drive + sigma * src.state_drive
    a = (knobs.chi * drive + (1.0 - knobs.chi) * src.policy_noise) * a_mask
    change = (rho - 1.0) * src.state + jnp.sqrt(jnp.maximum(1.0 - rho * rho, 0.0)) * src.innovation
    return obs, a, obs + a @ action_effect.T + sigma * change


def mask_basis(state_map: jax.Array, action_effect: jax.Array, knobs: Knobs) -> jax.Array:
    """M [d_o, d_b + d_a]: the masked directions, the first ``mask_cover`` exogenous ones (P) and
    the first ``mask_leak`` action ones (X); the other columns 0. Orthonormal (P is orthogonal to X)."""
    cover = (jnp.arange(state_map.shape[1]) < knobs.mask_cover).astype(state_map.dtype)
    leak = (jnp.arange(action_effect.shape[1]) < knobs.mask_leak).astype(state_map.dtype)
    return jnp.concatenate([state_map * cover, action_effect * leak], axis=1)


def loss(params: Params, src: Sources, knobs: Knobs, action_effect: jax.Array) -> jax.Array:
    """Training loss of one setting on one batch (scalar).

    Reconstruction: mean over batch and d_o of (o'_hat - o')^2, with
    z = C o + D o' (full IDM) or z = C (o' - o) (difference IDM, D of size 0). With
    augmentation (Sec. 4.3): z = C (o + kappa1) + D (o' + kappa1),
    o'_hat = A (o + kappa2) + B z - kappa2, target o'. With labels (Sec. 4.4):
    plus the mean over labelled samples of the per-coordinate squared error of
    a_hat = E z (0 when the batch has no label). Exogenous state: o, a, o' from
    :func:`state_transition`; with ``src.state_map`` the reconstruction is weighted by
    W = I - (1 - beta) M M^T (:func:`mask_basis`; MaskLAM, arXiv 2602.02259).
    """
    a_mask, z_mask = masks(knobs, params.E.shape[0], params.C.shape[0])
    if src.state is None:
        a, o_next = transition(src, knobs, action_effect, a_mask)
        obs = src.obs
    else:
        obs, a, o_next = state_transition(src, knobs, action_effect, a_mask)
    idm_obs, idm_next, fdm_obs = obs, o_next, obs
    if src.shift_idm is not None:
        idm_obs = idm_obs + knobs.kappa * src.shift_idm
        idm_next = idm_next + knobs.kappa * src.shift_idm
        fdm_obs = fdm_obs + knobs.kappa * src.shift_fdm
    if params.D.size == 0:  # difference IDM: the shared kappa1 cancels in o' - o
        z = ((idm_next - idm_obs) @ params.C.T) * z_mask
    else:
        z = (idm_obs @ params.C.T + idm_next @ params.D.T) * z_mask
    pred = (fdm_obs if a_is_fixed(params) else fdm_obs @ params.A.T) + z @ params.B.T
    if src.shift_fdm is not None:
        pred = pred - knobs.kappa * src.shift_fdm
    total = jnp.mean(jnp.square(pred - o_next))
    if src.state_map is not None:
        masked = (pred - o_next) @ mask_basis(src.state_map, action_effect, knobs)
        total = total - (1.0 - knobs.mask_weight) * jnp.sum(jnp.square(masked)) / o_next.size
    if src.label_draw is not None:
        a_hat = z @ params.E.T
        per_sample = jnp.sum(jnp.square((a_hat - a) * a_mask), axis=-1) / knobs.d_a.astype(jnp.float32)
        labelled = (src.label_draw < knobs.label_rate).astype(jnp.float32)
        total = total + jnp.sum(labelled * per_sample) / jnp.maximum(jnp.sum(labelled), 1.0)
    return total


def matmul_flops(batch: int, d_o: int, d_z: int) -> int:
    """Matmul FLOPs of one training step of one setting (forward and backward):
    4 B d_o^2 for A plus 12 B d_o d_z for B, C, D."""
    return 4 * batch * d_o * d_o + 12 * batch * d_o * d_z
