"""Beyond pixels: the R claims (representation targets and a multi-step IDM) and their results page.

Each claim names its source and the prediction declared before the runs (docs/method.md Sec. 18.3);
the checks measure it on experiments/beyond.py's results. A prediction that fails is reported with
its numbers, not adjusted.

``python -m reports beyond [--results DIR]`` writes DIR/beyond.md from the arrays.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from experiments.beyond import (ENCODER_PANEL, FEATURES_PANEL, HELD_BACK_PANEL, HORIZON_PANEL, REMEDIES_PANEL,
                                TAU_PANEL)
from lamsim.runtime import results
from lamsim.runtime.results import Results
from reports.checks import LLO_TOLERANCE, Point, bound, convergence, grid, label, points
from reports.pages import write_page

FEATURES, ENCODER, HORIZON, HELD_BACK, REMEDIES, TAU = (p.name for p in (
    FEATURES_PANEL, ENCODER_PANEL, HORIZON_PANEL, HELD_BACK_PANEL, REMEDIES_PANEL, TAU_PANEL))
EXACT = {"profile": "exact"}


def _seeds(loaded: Results, metric: str, **where) -> dict:
    """{the remaining coordinates as a sorted tuple: per-seed values}."""
    return {tuple(sorted(c.items())): v for c, v in grid(loaded, metric, seeds=True, **where)}


def _off_theory(loaded: Results, metric: str = "llo", **where) -> list:
    """(coords, the largest |metric - theory_llo| over seeds, each seed against its own theory) where the
    theory is defined."""
    pairs = zip(grid(loaded, metric, seeds=True, **where), grid(loaded, "theory_llo", seeds=True, **where))
    return [(c, float(np.max(np.abs(v - t)))) for (c, v), (_, t) in pairs if np.all(np.isfinite(t))]


def on_theory(features: Results, horizon: Results, held_back: Results) -> list:
    """R0: |trained LLO - theory| at every converged point with a theory, each seed against its own."""
    out = []
    for name, loaded in ((FEATURES, features), (HORIZON, horizon), (HELD_BACK, held_back)):
        settled = convergence(loaded)
        out += [Point(label(c, name), gap, settled(c)) for c, gap in _off_theory(loaded)]
    return [bound("|trained LLO - theory|, every converged point (largest over seeds)", out, "<=", LLO_TOLERANCE)]


def collapse(encoder: Results) -> list:
    """R1: with target ``none`` ||W|| / ||W_0|| <= 0.1 in every background and profile."""
    return [bound("||W|| / ||W_0|| with target none", points(grid(encoder, "w_norm", seeds=True, variant="none")),
                  "<=", 0.1)]


def _paired(loaded: Results, metric: str, against: str, keep, **where) -> list:
    """Per-seed differences metric(features) - metric(``against``) at each background, as points."""
    base = {c["background"]: v for c, v in grid(loaded, metric, seeds=True, features=against)}
    return points([(c, v - base[c["background"]]) for c, v in grid(loaded, metric, seeds=True, **where)
                   if keep(c)], converged=convergence(loaded))


def frozen_targets(features: Results) -> list:
    """R2: only a map that attenuates the distractor relative to the action helps."""
    def agent(*gammas):
        names = {f"agent {g:g}" for g in gammas}
        return lambda c: c["features"] in names

    def random_at(*backgrounds):
        return lambda c: c["features"].startswith("random") and c["background"] in backgrounds

    settled = convergence(features)
    llo, nmse = grid(features, "llo", seeds=True), grid(features, "nmse_action", seeds=True)

    def pick(pairs, keep):
        return points([(c, v) for c, v in pairs if keep(c)], converged=settled)

    return [
        bound("LLO(agent) - LLO(pixels), other agents 1.5, gamma 0-0.6",
              _paired(features, "llo", "pixels", lambda c: agent(0, 0.5, 0.6)(c) and c["background"] == "exo 1.5"),
              ">=", 0.5),
        bound("nMSE(a), agent, other agents 1.5, gamma 0.7-0.8",
              pick(nmse, lambda c: agent(0.7, 0.8)(c) and c["background"] == "exo 1.5"), ">=", 0.5),
        bound("LLO, agent, exogenous state 3, gamma <= 0.7",
              pick(llo, lambda c: agent(0, 0.5, 0.6, 0.7)(c) and c["background"] == "state 3"), ">=", 1.9),
        bound("nMSE(a), agent 0.8, exogenous state 3",
              pick(nmse, lambda c: agent(0.8)(c) and c["background"] == "state 3"), ">=", 0.9),
        bound("|LLO(agent) - LLO(pixels)|, i.i.d. 0.5",
              [p._replace(value=abs(p.value)) for p in _paired(
                  features, "llo", "pixels",
                  lambda c: c["features"].startswith("agent") and c["background"] == "iid 0.5")],
              "<=", LLO_TOLERANCE),
        bound("LLO(random) - LLO(pixels) where pixels fail", _paired(
            features, "llo", "pixels", random_at("exo 1.5", "state 3")), ">", 0.0),
        bound("LLO(random) - LLO(pixels) where pixels succeed", _paired(
            features, "llo", "pixels", random_at("iid 0.5", "exo 0.5")), "<", 0.0),
    ]


def _encoder(encoder: Results, metric: str, variant: str, backgrounds=None) -> list:
    """``metric`` of ``variant`` in the exact profile, one point per background (or those of ``backgrounds``)."""
    pairs = grid(encoder, metric, seeds=True, variant=variant, **EXACT)
    return points(pairs, prefix=variant, keep=lambda c: backgrounds is None or c["background"] in backgrounds)


def encoder_conjecture(encoder: Results) -> list:
    """R3 (the conjecture): without weight decay W stays near W_0 and the latent on the frozen-map theory
    at W_0; with it W contracts."""
    return [bound("||W|| / ||W_0||, laom", _encoder(encoder, "w_norm", "laom"), ">=", 0.8),
            bound("||W|| / ||W_0||, laom", _encoder(encoder, "w_norm", "laom"), "<=", 1.25),
            bound("distance of the surrogate from the frozen-map theory at W_0, laom",
                  _encoder(encoder, "frozen_distance", "laom"), "<=", 0.1),
            bound("||W|| / ||W_0||, laom + wd", _encoder(encoder, "w_norm", "laom + wd"), "<=", 0.5)]


def encoder_action(encoder: Results) -> list:
    """R3 (our prediction): LAOM's latent holds the action where pixels do, not where they do not."""
    return [bound("nMSE(a | z), laom, i.i.d. 0.5", _encoder(encoder, "nmse_action_z", "laom", ("iid 0.5",)),
                  "<=", 0.35),
            bound("nMSE(a | z), laom, where pixels fail",
                  _encoder(encoder, "nmse_action_z", "laom", ("exo 1.5", "state 3")), ">=", 0.5)]


def labels_needed(encoder: Results) -> list:
    """R4: with 1% labels nMSE(a | z) <= 0.2 wherever laom alone has nMSE(a | z) > 0.5."""
    alone = {c["background"]: v for c, v in grid(encoder, "nmse_action_z", variant="laom", **EXACT)}
    failing = [b for b, v in alone.items() if v > 0.5]
    found = _encoder(encoder, "nmse_action_z", "laom + labels", failing) if failing else []
    if not found:
        return [bound("laom fails somewhere without labels (nMSE(a | z) > 0.5)",
                      [Point(f"background={b}", v) for b, v in alone.items()], ">", 0.5)]
    return [bound("nMSE(a | z), laom + labels, where laom alone fails", found, "<=", 0.2)]


def horizon(h: Results) -> list:
    """R5: the multi-step IDM against fresh distractors and a persistent background."""
    settled = convergence(h)

    def at(metric, background, *windows):
        return points([(c, v) for c, v in grid(h, metric, seeds=True, background=background)
                       if c["window"] in windows], converged=settled)

    return [bound("nMSE(a), other agents 1.5, k 4, psi 0.95", at("nmse_action", "exo 1.5", "k4 psi0.95"), "<=", 0.25),
            bound("LLO, other agents 1.5, k 4, psi 0.95", at("llo", "exo 1.5", "k4 psi0.95"), ">=", 1.7),
            bound("nMSE(a), other agents 1.5, k 1", at("nmse_action", "exo 1.5", "k1"), ">=", 0.9),
            bound("LLO, i.i.d. 0.5, k 4, psi 0", at("llo", "iid 0.5", "k4 psi0"), "<=", 1.25),
            bound("LLO, i.i.d. 0.5, k 1", at("llo", "iid 0.5", "k1"), ">=", 1.75),
            bound("nMSE(a), exogenous state 3, psi 0, k 2-8",
                  at("nmse_action", "state 3", "k2 psi0", "k4 psi0", "k8 psi0"), ">=", 0.85),
            bound("nMSE(a), exogenous state 3, k 4, psi 0.9-0.95",
                  at("nmse_action", "state 3", "k4 psi0.9", "k4 psi0.95"), "<=", 0.2)]


def remedies(r: Results) -> list:
    """R6: the paper's remedies on a frozen map that fails alone (each seed against its own theory)."""
    settled = convergence(r)
    unremedied = {c["features"]: t for c, t in grid(r, "theory_llo", seeds=True, remedy="none")}
    augmented = [(c, float(np.max(np.abs(v - unremedied[c["features"]]))))
                 for c, v in grid(r, "llo_z", seeds=True, remedy="augmentation")]
    own = [(c, gap) for c, gap in _off_theory(r) if c["remedy"] in ("difference IDM", "A = I")]
    return [bound("nMSE(a | z), 1% labels", points(grid(r, "nmse_action_z", seeds=True, remedy="1% labels"),
                                                   prefix="1% labels"), "<=", 0.2),
            bound("|LLO(z) - the unaugmented theory|, augmentation 0.1 (largest over seeds)",
                  points(augmented, prefix="augmentation"), "<=", 0.05),
            bound("|LLO - theory|, difference IDM and A = I (largest over seeds)", points(own, converged=settled),
                  "<=", LLO_TOLERANCE)]


def across_tau(t: Results) -> list:
    """R7: at every tau the encoder grows and z does not hold the action where pixels fail."""
    failing = ("exo 1.5", "state 3")
    return [bound("||W|| / ||W_0||, laom, every tau", points(grid(t, "w_norm", seeds=True)), ">=", 1.25),
            bound("nMSE(a | z), laom, every tau, where pixels fail",
                  points(grid(t, "nmse_action_z", seeds=True), keep=lambda c: c["background"] in failing), ">=", 0.5)]


# ---------------------------------------------------------------- the results page

def _row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _cell(loaded: Results, metric: str, fmt: str = ".3f", **where) -> str:
    value = float(np.mean(results.select(loaded, metric, **where)[0]))
    return "–" if np.isnan(value) else format(value, fmt)


def _table(loaded: Results, rows: str, columns: str, cell, **where) -> list:
    cols = list(loaded.coords[columns])
    lines = [_row(rows, *cols), "|---|" + "---|" * len(cols)]
    for r in loaded.coords[rows]:
        lines.append(_row(r, *(cell(**{rows: r, columns: c}, **where) for c in cols)))
    return lines


def page(base: Path) -> str:
    features, encoder, horizon_, held = (results.load(base / n) for n in (FEATURES, ENCODER, HORIZON, HELD_BACK))

    def llo_theory(loaded):
        return lambda **w: f"{_cell(loaded, 'llo', **w)} ({_cell(loaded, 'theory_llo', **w)})"

    def with_action(loaded):
        return lambda **w: (f"{_cell(loaded, 'llo', **w)} ({_cell(loaded, 'theory_llo', **w)}); "
                            f"{_cell(loaded, 'nmse_action', '.2f', **w)}")

    def encoder_cell(**w):
        return (f"{_cell(encoder, 'nmse_action_z', '.2f', **w)} / {_cell(encoder, 'nmse_action', '.2f', **w)}; "
                f"{_cell(encoder, 'w_norm', '.2g', **w)}; {_cell(encoder, 'frozen_distance', '.2f', **w)}; "
                f"{_cell(encoder, 'llo_drift', '+.2f', **w)}")

    lines = ["# Beyond pixels: representation targets and a multi-step IDM", "",
             "Written by `python -m reports beyond` from the arrays (experiments/beyond.py; exact profile unless "
             "said; means over seeds). The model, the theory and the predictions declared before these runs: "
             "docs/method.md Sec. 18. Verdicts: rows R0-R7 of [claims.md](claims.md).", "",
             "## V1: a frozen feature map", "", "LLO (theory in brackets), d_z = d_a = 8:", ""]
    lines += _table(features, "features", "background", llo_theory(features))
    lines += ["", "## V3: a multi-step IDM", "", "LLO (theory); nMSE(a_t):", ""]
    lines += _table(horizon_, "window", "background", with_action(horizon_))
    for profile in encoder.coords["profile"]:
        lines += ["", f"## V2: a learned encoder (d_r 32), {profile} profile", "",
                  "nMSE(a | z) / nMSE(a | surrogate); ||W|| / ||W_0||; distance of the surrogate from the "
                  "frozen-map theory at W_0 (0: the same information, 1: none shared); the LLO's drift over the "
                  "second half of training (a learned encoder's latent still moves at the end: R1-R4 read the "
                  "end of the declared steps):", ""]
        lines += _table(encoder, "variant", "background", encoder_cell, profile=profile)
    lines += ["", "### Target none: where the encoder collapses (exact profile)", "",
              "||W|| / ||W_0||; the share of span(X) and of the noise's span in W's top rows (principal angles, "
              "mean squared cosine over W's top round(effective rank) rows; a random W gives about that count / d_o); "
              "the loss:", "",
              _row("background", "norm", "span(X) share", "noise share", "loss"), "|---|---|---|---|---|"]
    lines += [_row(b, *(_cell(encoder, m, f, variant="none", background=b, profile="exact")
                        for m, f in (("w_norm", ".2f"), ("w_action", ".3f"), ("w_noise", ".3f"), ("loss", ".2g"))))
              for b in encoder.coords["background"]]
    tau = results.load(base / TAU)
    lines += ["", "### LAOM's recipe across the EMA rate tau (exact profile)", "",
              "nMSE(a | z); ||W|| / ||W_0||:", ""]
    lines += _table(tau, "tau", "background", lambda **w: (
        f"{_cell(tau, 'nmse_action_z', '.2f', **w)}; {_cell(tau, 'w_norm', '.2g', **w)}"))
    remedies_ = results.load(base / REMEDIES)
    lines += ["", "## V1 with the paper's remedies (other agents 1.5)", "",
              "LLO of the surrogate (theory); LLO of z; nMSE(a | z):", ""]
    lines += _table(remedies_, "remedy", "features", lambda **w: (
        f"{_cell(remedies_, 'llo', **w)} ({_cell(remedies_, 'theory_llo', **w)}); {_cell(remedies_, 'llo_z', **w)}; "
        f"{_cell(remedies_, 'nmse_action_z', '.2f', **w)}"))
    lines += ["", "## Held back from every other panel", "", _row("case", "LLO", "theory"), "|---|---|---|"]
    lines += [_row(c, _cell(held, "llo", case=c), _cell(held, "theory_llo", case=c)) for c in held.coords["case"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    return write_page(argv, "beyond", __doc__, "beyond.md", page)
