"""The closed-form expected training loss of the linear LAM (paper Sec. 3.2, 4.2-4.4; docs/method.md 9.1).

Every source of the training batch (o, s, eps, the shifts kappa1 and kappa2 and
the label draws) is independent with zero mean and known covariance, and the
residuals of :func:`lamsim.linear.model.loss` are linear in them, so the
expectation of that loss over a batch is a sum of Frobenius norms of the
parameters' loadings on each source. :func:`expected_loss` is that sum: the
``exact`` profile runs Adam on it, seeing the population at every step.

Notation (vectors are columns): ``T = I + chi X Pi``, ``M = A + B C``,
``N = B D - I``, ``S = C + D`` (the IDM's response to o when o' = o), so the
reconstruction residual is ``(M + N T) o + (1 - chi) N X s + N eps
+ B S kappa1 + (A - I) kappa2`` and ``M + N T = (A - I) + B S + chi N X Pi``.

The difference IDM ``z = C (o' - o)`` is the full one at (C, D) = (-C, C)
(:func:`lamsim.linear.model.full_idm`), so S = 0: every formula below holds for
it as written, and the kappa1 terms vanish (the shared shift cancels in o' - o).

Exogenous state (beyond the paper; lamsim/linear/state.py): o = u + sigma_e P e has covariance
Sigma_o = I + (sigma_e^2 - 1) P P^T, and since P^T o = sigma_e e the drift sigma_e (rho - 1) P e
is (rho - 1) P P^T o: T gains (rho - 1) P P^T, the o-loading L is taken through Sigma_o
(||L||^2 + (sigma_e^2 - 1) ||L P||^2), and the innovation sigma_e sqrt(1 - rho^2) P xi enters as
other-agent noise does with Y = P. A mask weighs the residual by W = I - (1 - beta) M M^T, so the
loss loses (1 - beta) E||M^T r||^2, each source's loading seen through the thin M^T.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from lamsim.linear import model
from lamsim.linear.model import Knobs, Params
from lamsim.linear.world import Environment


def label_weight(label_rate: jax.Array, batch: int) -> jax.Array:
    """P(a batch of ``batch`` samples holds at least one label) = 1 - (1 - lambda)^batch.

    The action loss averages over the labelled samples of a batch and is 0
    when there are none (Sec. 4.4), so its expectation is this probability
    times one sample's expected error, not lambda times it.
    """
    return -jnp.expm1(batch * jnp.log1p(-label_rate))


def _frob2(m: jax.Array) -> jax.Array:
    return jnp.sum(jnp.square(m))


def expected_loss(params: Params, knobs: Knobs, env: Environment, batch: int, *,
                  iid: bool = True, exo: bool = True, augment: bool = True, labels: bool = True,
                  uniform: bool = False, state: bool = False, mask: bool = False) -> jax.Array:
    """E[:func:`lamsim.linear.model.loss`] of one setting, over the data, the
    augmentation shifts and the label draws of a batch of ``batch`` samples (scalar).

    params: A [d_o, d_o] (or [0, 0]: A fixed to I), B [d_o, d_z], C, D [d_z, d_o]
    (D [0, 0]: the difference IDM z = C (o' - o)), E [d_a, d_z] (padded); knobs:
    one setting's scalars (d_a, d_z select the same masks as the sample loss, so
    a padded sweep compiles once); env:
    action_effect X [d_o, d_a], policy_map Pi [d_a, d_o], noise_map Y [d_o, d_b].
    The static flags leave out the terms of sources a group never draws, as
    :func:`lamsim.linear.world.raw_batch` leaves out their streams; a term
    whose knob is 0 contributes 0 either way. ``uniform``: the i.i.d. noise is
    sigma_iid U[0, 1) per coordinate (covariance sigma_iid^2 / 12 I, mean
    m = sigma_iid / 2 per coordinate), else sigma_iid N(0, 1).

    Reconstruction (Prop. 4.1 with the policy of Sec. 4.2 and the shifts of
    Prop. 4.3), divided by d_o::

        ||(A - I) + B S + chi N X Pi||^2 + (1 - chi)^2 ||N X||^2
        + Var(eps_i) ||N||^2 + ||N m||^2 + sigma_exo^2 ||N Y||^2
        + kappa^2 ||B S||^2 + kappa^2 ||A - I||^2

    Action head (Prop. 4.4), with V = E D X - I and divided by d_a, weighted by
    :func:`label_weight`::

        ||E S + chi V Pi||^2 + (1 - chi)^2 ||V||^2
        + Var(eps_i) ||E D||^2 + ||E D m||^2 + sigma_exo^2 ||E D Y||^2 + kappa^2 ||E S||^2

    The only d_o x d_o products are the loading of o (a rank-d_z update of
    A - I - chi X Pi) and X Pi itself; every other norm is taken through
    d_z-sized Gram matrices or thin products. With A fixed to I there is no
    d_o x d_o product at all. ``state``: the exogenous-state world (module docstring; env's
    noise_map is P, the knobs' sigma_state and rho set it); ``mask``: the weighted loss.
    """
    a_mask, z_mask = model.masks(knobs, params.E.shape[0], params.C.shape[0])
    d_o = params.B.shape[0]
    # Masking C, D (rows), X (columns) and Pi (rows) is what the sample loss's masks on z and a amount to.
    c, d = model.full_idm(params.C * z_mask[:, None], params.D)
    d = d * z_mask[:, None]
    b = params.B
    x = env.action_effect * a_mask
    pi = env.policy_map * a_mask[:, None]
    d_a = x.shape[1]
    chi, kappa, sigma_iid, sigma_exo = knobs.chi, knobs.kappa, knobs.sigma_iid, knobs.sigma_exo
    iid_var = sigma_iid ** 2 / 12.0 if uniform else sigma_iid ** 2

    s = c + d                                            # [d_z, d_o]
    # The thin maps the latent meets: X (the action), and Y (other agents) when they move o'.
    thin = jnp.concatenate([x, env.noise_map], axis=1) if exo or state else x
    d_thin = d @ thin                                    # [D X, D Y]  [d_z, d_a + d_b]
    # M + N T = (A - I - chi X Pi) + B S_chi with S_chi = S + chi D X Pi: X Pi is a constant, so the
    # backward pass meets d_o x d_o products only through B and S_chi.
    s_chi = s + chi * d_thin[:, :d_a] @ pi               # [d_z, d_o]
    gram_b = b.T @ b                                     # [d_z, d_z]
    if state:
        return _state_loss(params, knobs, env, batch, x, pi, b, s, d, d_thin, s_chi, gram_b, augment, labels, mask)
    if model.a_is_fixed(params):
        a_minus_i_norm = 0.0
        # ||B S_chi - chi X Pi||^2 through thin products.
        recon = (jnp.sum(gram_b * (s_chi @ s_chi.T)) - 2.0 * chi * jnp.sum((x.T @ b) * (pi @ s_chi.T))
                 + chi ** 2 * jnp.sum((x.T @ x) * (pi @ pi.T)))
    else:
        a_minus_i = params.A - jnp.eye(d_o, dtype=params.A.dtype)
        a_minus_i_norm = _frob2(a_minus_i)
        recon = _frob2(a_minus_i - chi * (x @ pi) + b @ s_chi)
    n_thin = jnp.sum(jnp.square(b @ d_thin - thin), axis=0)   # column norms of [N X, N Y]
    recon += (1.0 - chi) ** 2 * jnp.sum(n_thin[:d_a])
    if exo:
        recon += sigma_exo ** 2 * jnp.sum(n_thin[d_a:])
    if iid:
        gram_d = d @ d.T
        # ||N||^2 = ||B D||^2 - 2 tr(B D) + d_o
        recon += iid_var * (jnp.sum(gram_b * gram_d) - 2.0 * jnp.sum(b * d.T) + d_o)
        if uniform:
            d_mean = jnp.sum(d, axis=1) * (0.5 * sigma_iid)      # D m  [d_z]
            mean = jnp.full((d_o,), 0.5 * sigma_iid)
            recon += _frob2(b @ d_mean - mean)                     # ||N m||^2
    if augment:
        gram_s = s @ s.T
        recon += kappa ** 2 * (jnp.sum(gram_b * gram_s) + a_minus_i_norm)
    total = recon / d_o
    if not labels:
        return total

    e = params.E * a_mask[:, None]
    e_thin = e @ d_thin                                  # [E D X, E D Y]
    # E S + chi (E D X - I) Pi = E S_chi - chi Pi
    action = _frob2(e @ s_chi - chi * pi) + (1.0 - chi) ** 2 * _frob2(e_thin[:, :d_a] - jnp.diag(a_mask))
    if exo:
        action += sigma_exo ** 2 * _frob2(e_thin[:, d_a:])
    if iid or augment:
        gram_e = e.T @ e                                 # [d_z, d_z]
    if iid:
        action += iid_var * jnp.sum(gram_e * gram_d)
        if uniform:
            action += _frob2(e @ d_mean)
    if augment:
        action += kappa ** 2 * jnp.sum(gram_e * gram_s)
    return total + label_weight(knobs.label_rate, batch) * action / knobs.d_a.astype(jnp.float32)


def _state_loss(params, knobs, env, batch, x, pi, b, s, d, d_thin, s_chi, gram_b, augment, labels, mask):
    """:func:`expected_loss` in the exogenous-state world (module docstring); the masked inputs as
    :func:`expected_loss` computes them. T = I + chi X Pi + (rho - 1) P P^T = I + K G with
    K = [X, P] and G = [chi Pi; (rho - 1) P^T]."""
    a_mask = (jnp.arange(x.shape[1]) < knobs.d_a).astype(x.dtype)
    p, d_o, d_a = env.noise_map, b.shape[0], x.shape[1]
    chi, kappa, rho, sigma = knobs.chi, knobs.kappa, knobs.rho, knobs.sigma_state
    extra_var = sigma ** 2 - 1.0                          # Sigma_o = I + extra_var P P^T
    innovation_var = sigma ** 2 * jnp.maximum(1.0 - rho ** 2, 0.0)
    k = jnp.concatenate([x, p], axis=1)                   # [d_o, d_a + d_b]
    g = jnp.concatenate([chi * pi, (rho - 1.0) * p.T], axis=0)
    s_chi = s_chi + (rho - 1.0) * d_thin[:, d_a:] @ p.T   # + (rho - 1) D P P^T
    fixed = model.a_is_fixed(params)
    a_minus_i = 0.0 if fixed else params.A - jnp.eye(d_o, dtype=params.A.dtype)

    def quadratic(rows):
        """E||rows r||^2 over every source, rows [m, d_o] (None: the identity)."""
        rb = b if rows is None else rows @ b
        rk = k if rows is None else rows @ k
        if fixed and rows is None:
            load_p = b @ (s_chi @ p) - k @ (g @ p)
            total = (jnp.sum(gram_b * (s_chi @ s_chi.T)) - 2.0 * jnp.sum((k.T @ b) * (g @ s_chi.T))
                     + jnp.sum((k.T @ k) * (g @ g.T)))
        else:
            load = rb @ s_chi - rk @ g + (0.0 if fixed else (a_minus_i if rows is None else rows @ a_minus_i))
            load_p = load @ p
            total = _frob2(load)
        total += extra_var * _frob2(load_p)
        n_thin = rb @ d_thin - rk                          # rows [N X, N P]
        total += (1.0 - chi) ** 2 * _frob2(n_thin[:, :d_a]) + innovation_var * _frob2(n_thin[:, d_a:])
        if augment:
            total += kappa ** 2 * (_frob2(rb @ s) + (0.0 if fixed else _frob2(
                a_minus_i if rows is None else rows @ a_minus_i)))
        return total

    recon = quadratic(None)
    if mask:
        recon -= (1.0 - knobs.mask_weight) * quadratic(model.mask_basis(p, x, knobs).T)
    total = recon / d_o
    if not labels:
        return total
    e = params.E * a_mask[:, None]
    e_thin = e @ d_thin
    obs_head = e @ s_chi - chi * pi
    action = (_frob2(obs_head) + extra_var * _frob2(obs_head @ p)
              + (1.0 - chi) ** 2 * _frob2(e_thin[:, :d_a] - jnp.diag(a_mask)) + innovation_var * _frob2(e_thin[:, d_a:]))
    if augment:
        action += kappa ** 2 * _frob2(e @ s)
    return total + label_weight(knobs.label_rate, batch) * action / knobs.d_a.astype(jnp.float32)


def matmul_flops(d_o: int, d_z: int) -> int:
    """Matmul FLOPs of one step of one setting (forward and backward), counting
    the d_o x d_o products only: B S_chi forward, then through B and S_chi
    backward, 6 d_o^2 d_z (X Pi does not depend on the parameters)."""
    return 6 * d_o * d_o * d_z


def _rownorm2(m: jax.Array) -> jax.Array:
    return jnp.sum(jnp.square(m), axis=1)


def batch_gradient_variance(params: Params, knobs: Knobs, env: Environment, batch: int, grads: Params, *,
                            iid: bool = True, exo: bool = True, augment: bool = True,
                            uniform: bool = False) -> Params:
    """Elementwise variance of the reconstruction loss's gradient over one sampled batch of ``batch``.

    Every gradient of the sample loss is a batch mean of outer products, (2 / d_o) r f^T for A
    (r the residual, f the FDM input), (2 / d_o) r z^T for B, (2 / d_o) (B^T r) g^T for C and
    (2 / d_o) (B^T r) h^T for D (g, h the IDM inputs). For jointly Gaussian zero-mean u, w,
    Var(u_j w_k) = E[u_j^2] E[w_k^2] + E[u_j w_k]^2, so with G the expected gradient

        Var(G_batch) = ((2 / d_o)^2 diag E[u u^T] diag E[w w^T]^T + G^2) / batch.

    ``grads``: the expected loss's gradient G (the caller has it). The action head's term is left
    out (its gradient vanishes in batches without labels, which no Gaussian formula describes):
    E's variance is G_E^2 / batch. A noise mean (uniform noise) enters the second moments; its
    fourth moments are taken as Gaussian. Used by the ``faithful-exact`` profile, whose Adam sees
    E[g^2] = G^2 + Var(G_batch) as Adam on sampled batches does.

    The difference IDM's C (D of size 0) has the gradient (2 / d_o) (B^T r) (o' - o)^T: its input
    is o' - o, whose second moment has no o and no kappa1; its D variance is the [0, 0] array.
    """
    a_mask, z_mask = model.masks(knobs, params.E.shape[0], params.C.shape[0])
    d_o = params.B.shape[0]
    difference = params.D.size == 0
    c, d = model.full_idm(params.C * z_mask[:, None], params.D)
    d = d * z_mask[:, None]
    b = params.B
    x = env.action_effect * a_mask
    pi = env.policy_map * a_mask[:, None]
    chi, kappa, sigma_iid, sigma_exo = knobs.chi, knobs.kappa, knobs.sigma_iid, knobs.sigma_exo
    iid_var = (sigma_iid ** 2 / 12.0 if uniform else sigma_iid ** 2) if iid else 0.0
    exo_var = sigma_exo ** 2 if exo else 0.0
    mean = jnp.full((d_o,), 0.5 * sigma_iid) if (iid and uniform) else jnp.zeros((d_o,))
    y = env.noise_map
    s = c + d
    dx, dy = d @ x, d @ y
    s_chi = s + chi * dx @ pi
    fixed = model.a_is_fixed(params)
    a_minus_i = jnp.zeros((d_o, d_o)) if fixed else params.A - jnp.eye(d_o, dtype=params.A.dtype)
    obs_loading = a_minus_i - chi * (x @ pi) + b @ s_chi          # r's loading on o      [d_o, d_o]
    n_x, n_y = b @ dx - x, b @ dy - y                              # N X, N Y
    bd = b @ d                                                     # B D                   [d_o, d_o]
    n = bd - jnp.eye(d_o)                                          # N = B D - I
    r_mean = n @ mean
    bs = b @ s
    # diag E[r r^T], and the same for u = B^T r (rows of B^T times r's loadings).
    r2 = (_rownorm2(obs_loading) + (1 - chi) ** 2 * _rownorm2(n_x) + iid_var * _rownorm2(n)
          + exo_var * _rownorm2(n_y) + kappa ** 2 * (_rownorm2(bs) + _rownorm2(a_minus_i)) + r_mean ** 2)
    bt = b.T
    u2 = (_rownorm2(bt @ obs_loading) + (1 - chi) ** 2 * _rownorm2(bt @ n_x) + iid_var * _rownorm2(bt @ n)
          + exo_var * _rownorm2(bt @ n_y) + kappa ** 2 * (_rownorm2(bt @ bs) + _rownorm2(bt @ a_minus_i))
          + (bt @ r_mean) ** 2)
    # diag E[z z^T], E[f f^T] (f = o + kappa2), E[g g^T] (g = o + kappa1), E[h h^T] (h = o' + kappa1).
    z2 = (_rownorm2(s_chi) + (1 - chi) ** 2 * _rownorm2(dx) + iid_var * _rownorm2(d) + exo_var * _rownorm2(dy)
          + kappa ** 2 * _rownorm2(s) + (d @ mean) ** 2) * z_mask
    f2 = jnp.full((d_o,), 1.0 + kappa ** 2)
    xpi = x @ pi
    # diag E[(o' - o)(o' - o)^T]: the difference IDM's input.
    delta2 = chi ** 2 * _rownorm2(xpi) + (1 - chi) ** 2 * _rownorm2(x) + iid_var + exo_var * _rownorm2(y) + mean ** 2
    h2 = 1.0 + 2.0 * chi * jnp.diagonal(xpi) + delta2 + kappa ** 2
    scale = (2.0 / d_o) ** 2

    def var(out2, in2, g):
        return (scale * out2[:, None] * in2[None, :] + jnp.square(g)) / batch

    return Params(
        A=jnp.zeros_like(params.A) if fixed else var(r2, f2, grads.A),
        B=var(r2, z2, grads.B),
        C=var(u2 * z_mask, delta2 if difference else f2, grads.C),
        D=jnp.zeros_like(params.D) if difference else var(u2 * z_mask, h2, grads.D),
        E=jnp.square(grads.E) / batch,
    )
