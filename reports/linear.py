"""Claims C1-C7 on our reading of the linear LAM (Figures 3 and 4): each a list of checks
(:mod:`reports.checks`) measured on one or more panels' results."""
from __future__ import annotations

from lamsim.runtime.results import Results
from reports.checks import (AUGMENTED_LLO, D_A, EXO2_LLO, IDEAL_LLO, LABELLED_LLO, LLO_TOLERANCE, LOSS_ABSOLUTE,
                            LOSS_SHARE, NEGLIGIBLE_GAP, RISE_SHARE, ClaimError, Point, bound,
                            convergence, grid, label, largest_rise, points)


def linear_lam_is_pca(left: Results, middle: Results, right: Results) -> list:
    """C1 on every Figure 3 setting: the trained loss sits on the PCA floor
    (within 1% or 2e-4, whichever is larger: SGD leaves a gap of ~1e-4 above
    small floors such as sigma_exo = 0.5 with d_z > 8), never below it, and span(B)
    holds the action subspace (alignment >= 0.98) wherever d_z >= d_a and the
    action's directions outrank the noise's (none, i.i.d., or sigma_exo < 1)."""
    action_dominates = (("left", left, lambda c: c["d_z"] >= c["d_a"]),
                        ("middle", middle, lambda c: c["d_z"] >= D_A),
                        ("right", right, lambda c: c["sigma"] < 1 and c["d_z"] >= D_A))
    gaps, below, aligned = [], [], []
    for name, panel, dominates in action_dominates:
        for (c, loss), (_, floor) in zip(grid(panel, "loss"), grid(panel, "pca_floor")):
            # A floor near 0 (no noise, d_z >= d_a) makes a relative tolerance meaningless.
            tolerance = max(LOSS_SHARE * floor, LOSS_ABSOLUTE)
            where = label(c, name) + f" (loss {loss:.5f}, floor {floor:.5f})"
            gaps.append(Point(where, (loss - floor) / tolerance))
            below.append(Point(label(c, name), loss - floor))
        aligned += points(grid(panel, "alignment"), name, keep=dominates)
    return [
        bound(f"(loss - PCA floor) / tol, tol = max({LOSS_SHARE:.0%} of floor, {LOSS_ABSOLUTE:g}), "
              "Fig 3 all", gaps, "<=", 1.0),
        bound("loss - PCA floor, Fig 3 all", below, ">=", -1e-6),
        bound("alignment of span(B) with X, d_z >= d_a, action dominates", aligned, ">=", 0.98),
    ]


def case1_no_noise(left: Results) -> list:
    """C2 on Fig 3 left: LLO ~ 2 where d_z >= d_a; LLO = 1 + d_z/d_a (d_z of the
    d_a action directions, nothing else) where d_z < d_a."""
    llo, settled = grid(left, "llo", seeds=True), convergence(left)
    return [
        bound("LLO where d_z >= d_a", points(llo, keep=lambda c: c["d_z"] >= c["d_a"], converged=settled), ">=",
              IDEAL_LLO),
        bound("|LLO - (1 + d_z/d_a)| where d_z < d_a",
              points(llo, value=lambda c, v: abs(v - 1 - c["d_z"] / c["d_a"]), keep=lambda c: c["d_z"] < c["d_a"],
                     converged=settled), "<=", LLO_TOLERANCE),
    ]


def case2_iid_noise(middle: Results) -> list:
    """C3 on Fig 3 middle, d_z >= d_a, every sigma_iid: LLO on the PCA theory
    under both action targets, span(B) still the action subspace, and with
    target a, nMSE(a) = sigma^2 / (1 + sigma^2).

    The paper's "negligible gap up to sigma_iid = 0.5" is read with the paper's
    target (``subspace``: noise inside the action subspace counts as action);
    the gap with our target a (the theory's sigma^2 / (1 + sigma^2)) is shown
    beside it."""
    full = lambda c: c["d_z"] >= D_A  # noqa: E731
    checks = []
    for target in ("action", "subspace"):
        diff = [(c, v - t) for (c, v), (_, t) in zip(grid(middle, "llo", action_target=target),
                                                      grid(middle, "theory_llo", action_target=target))]
        checks.append(bound(f"|LLO - theory LLO|, d_z >= 8, target {target}",
                            points(diff, value=lambda c, v: abs(v), keep=full,
                                   converged=convergence(middle, action_target=target)), "<=", LLO_TOLERANCE))
    checks += [
        bound("alignment, d_z >= 8", points(grid(middle, "alignment", action_target="action"), keep=full), ">=", 0.99),
        bound("|nMSE(a) - sigma^2/(1+sigma^2)|, d_z >= 8, target action",
              points(grid(middle, "nmse_action", action_target="action"), keep=full,
                     value=lambda c, v: abs(v - c["sigma"] ** 2 / (1 + c["sigma"] ** 2))), "<=", LLO_TOLERANCE),
    ]
    gaps = {t: [Point(label(c), 2.0 - v) for c, v in grid(middle, "llo", d_z=D_A, action_target=t)
                if c["sigma"] <= 0.5 + 1e-9] for t in ("action", "subspace")}
    paper = bound("gap 2 - LLO, sigma_iid <= 0.5, d_z 8, paper's target (subspace)", gaps["subspace"], "<=",
                  NEGLIGIBLE_GAP)
    ours = max(gaps["action"], key=lambda p: p.value)
    checks.append(paper._replace(measured=f"{paper.measured}; our target (action): max {ours.value:.4f} at "
                                          f"{ours.where} (sigma^2/(1+sigma^2), not negligible)"))
    return checks


def case3_other_agents(right: Results) -> list:
    """C4 on Fig 3 right: with sigma_exo = 2 the latent fits the noise first
    (low LLO at d_z = d_a) and no d_z keeps the action while excluding the
    noise; with sigma_exo = 0.5 d_z = d_a is the best setting."""
    exo2_llo = grid(right, "llo", sigma=2.0, d_z=D_A)[0][1]
    best = max(points(grid(right, "llo", sigma=0.5)), key=lambda p: p.value)
    at_d_a = grid(right, "llo", sigma=0.5, d_z=D_A)[0][1]
    # The action is kept and the noise excluded iff nMSE(eps) > 0.5 and nMSE(a) < 0.5.
    excluded = [Point(label(c), min(eps, 1 - a)) for (c, eps), (_, a) in
                zip(grid(right, "nmse_noise", sigma=2.0), grid(right, "nmse_action", sigma=2.0))]
    return [
        bound("LLO, sigma_exo 2, d_z 8", [Point("", exo2_llo)], "<=", EXO2_LLO),
        bound("best LLO over d_z - LLO at d_z 8, sigma_exo 0.5", [best._replace(value=best.value - at_d_a)],
              "<=", 0.01),
        bound("min(nMSE(eps), 1 - nMSE(a)) per d_z, sigma_exo 2", excluded, "<=", 0.5),
    ]


def policy_determinism(left4: Results) -> list:
    """C5 on Fig 4 left, d_z = 8, other agents sigma_exo 0.5, interventional probes: LLO near ideal
    for a uniform policy, low once chi >= 0.7, falling from chi 0 to 0.9: the residual action
    (variance (1 - chi)^2) loses the PCA contest to the noise.

    The paper's own protocol (no noise, probes fitted on the policy's data) carries no verdict here.
    Read interventionally, as the exact reading reads every probe, a policy-fit probe's errors are
    not bounded by the target's variance, so its LLO leaves the metric's range [-1, 2] (2.07 at
    chi 0.9, hundreds below -1 at chi = 1, where the theory is undefined and the closed-form probe's
    ridge sets the number). That protocol is judged under the paper's reading (C5 (paper)), whose
    probes are trained as the authors trained them."""
    llo = grid(left4, "llo", seeds=True, d_z=D_A, noise="exo", probe="interventional")
    settled = convergence(left4, d_z=D_A, noise="exo", probe="interventional")
    falling = points(llo, keep=lambda c: c["chi"] <= 0.9 + 1e-9, converged=settled)
    return [
        bound("ours (sigma_exo 0.5, interventional): LLO at chi 0", points(llo, keep=lambda c: c["chi"] == 0), ">=",
              1.85),
        bound("ours: LLO at chi >= 0.7 (chi < 1)",
              points(llo, keep=lambda c: 0.7 - 1e-9 <= c["chi"] < 1, converged=settled), "<=", 0.8),
        bound("ours: rise of LLO between neighbouring chi, 0 to 0.9", largest_rise(falling), "<=", 0.02),
    ]


def data_augmentation(middle4: Results) -> list:
    """C6 on Fig 4 middle without noise (true latent): LLO near 2 once
    |kappa| >= 0.1, not without augmentation; ||A - I|| / sqrt(d_o) and
    ||C + D|| fall with |kappa| and are small at 0.1.

    "Fall" allows a rise between neighbouring |kappa| of up to 5% of the value
    without augmentation: at |kappa| = 0.01 the augmentation term (~kappa^2) is
    below the run-to-run spread of an unconstrained C + D (measured: 7.79 at
    kappa 0, 8.12 at 0.01, 0.009 at 0.1)."""
    llo, settled = grid(middle4, "llo", sigma=0.0), convergence(middle4, sigma=0.0)
    checks = [
        bound("LLO at |kappa| >= 0.1", points(llo, keep=lambda c: c["kappa"] >= 0.1 - 1e-9, converged=settled), ">=",
              AUGMENTED_LLO),
        bound("LLO at kappa 0", points(llo, keep=lambda c: c["kappa"] == 0), "<=", 1.2),
    ]
    for metric, name, at_01 in (("a_minus_i", "||A - I||/sqrt(d_o)", 0.05), ("c_plus_d", "||C + D||", 0.1)):
        values = points(grid(middle4, metric, sigma=0.0))
        rises = [p._replace(value=p.value / values[0].value) for p in largest_rise(values)]
        checks += [bound(f"rise of {name} between neighbouring |kappa| / its value at kappa 0", rises, "<=",
                         RISE_SHARE),
                   bound(f"{name} at |kappa| 0.1", points(grid(middle4, metric, sigma=0.0, kappa=0.1)), "<=", at_01)]
    return checks


def action_prediction(right4: Results) -> list:
    """C7 on Fig 4 right, sigma_exo 2, d_z 8 (true latent): labels at 1% (the
    paper's figure), 5% and 10% (its released script) lift the LLO from the
    noise to the action and pull D away from the noise (D Y)."""
    llo = {c["label_rate"]: v for c, v in grid(right4, "llo", sigma=2.0, d_z=D_A)}
    dy = {c["label_rate"]: v for c, v in grid(right4, "dy_ratio", sigma=2.0, d_z=D_A)}
    rates = sorted(r for r in llo if r > 0)
    if not rates:
        raise ClaimError("Fig 4 right has no label rate above 0")
    return [
        bound("LLO with labels", [Point(f"label_rate={r:g}", llo[r]) for r in rates], ">=", LABELLED_LLO),
        bound("LLO without labels", [Point("", llo[0.0])], "<=", 0.3),
        bound("||D Y|| / ||D|| with labels / without", [Point(f"label_rate={r:g}", dy[r] / dy[0.0]) for r in rates],
              "<", 1.0),
    ]
