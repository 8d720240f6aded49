"""Training dynamics (beyond the paper): how fast the LLO and the loss reach their optimum.

``python -m figures dynamics [--results DIR]`` reads DIR/dynamics_{chi,kappa}.npz;
writes DIR/figures/dynamics.png/.pdf and DIR/dynamics.md (the steps each
setting takes to come within 0.01 of its final LLO, for good).
"""
from pathlib import Path

import numpy as np

from figures._plot import BAND, Panel, band, colors, plt, save
from lamsim.runtime.results import atomic_write

TOLERANCE = 0.01
#: A final LLO this far below 2 (the optimum without noise) has not converged.
OPTIMUM_GAP = 0.01


def settle_step(steps: np.ndarray, llo: np.ndarray) -> np.ndarray:
    """Per seed, the first evaluated step from which the LLO stays within
    TOLERANCE of its final value. llo: [step, seed] -> [seed]."""
    near = np.abs(llo - llo[-1]) <= TOLERANCE
    # The last step still outside, plus one evaluation; all inside: the first evaluation.
    outside = np.where(~near.all(axis=0), near.shape[0] - np.argmax(~near[::-1], axis=0), 0)
    return steps[np.minimum(outside, len(steps) - 1)]


def _row(axes, panel, axis, label, fmt):
    steps = panel.coord("step")
    values = panel.coord(axis)
    settle = []
    for c, v in zip(colors(len(values), "plasma"), values):
        llo = panel.get("llo", **{axis: v})
        band(axes[0], steps, llo, fmt(v), c)
        gap = panel.get("loss", **{axis: v}) - panel.get("pca_floor", **{axis: v})
        band(axes[1], steps, np.maximum(gap, 1e-7), fmt(v), c)
        settle.append(settle_step(steps, llo))
    settle = np.asarray(settle, float)
    band(axes[2], values, settle, f"steps to within {TOLERANCE} of the final LLO", "black")
    final = np.asarray([panel.get("llo", **{axis: v})[-1].mean() for v in values])
    short = final < 2 - OPTIMUM_GAP
    if short.any():
        axes[2].plot(values[short], settle[short].mean(-1), "x", color="tab:red", ms=9,
                     label=f"final LLO below {2 - OPTIMUM_GAP:g}: not at the optimum yet")
    axes[2].legend(fontsize=7)
    axes[0].set(xlabel="Adam step", ylabel=f"LLO ({label} latent)", xscale="log")
    axes[1].set(xlabel="Adam step", ylabel="loss - PCA floor", xscale="log", yscale="log")
    axes[2].set(xlabel=axis.replace("kappa", "|kappa|"), ylabel="Adam steps", ylim=(0, steps[-1] * 1.05))
    for ax in axes[:2]:
        ax.legend(fontsize=6, ncol=2)
    return values, settle


def main(results_dir="results"):
    chi, kappa = Panel(results_dir, "dynamics_chi"), Panel(results_dir, "dynamics_kappa")
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    chi_values, chi_settle = _row(axes[0], chi, "chi", "surrogate", lambda v: f"$\\chi$={v:g}")
    axes[0, 0].set_title("no noise: LLO along training, by policy determinism $\\chi$")
    axes[0, 1].set_title("the loss's distance to its floor")
    axes[0, 2].set_title(f"steps until the LLO stays within {TOLERANCE} of its end")
    kappa_values, kappa_settle = _row(axes[1], kappa, "kappa", "true", lambda v: f"$|\\kappa|$={v:g}")
    axes[1, 0].set_title("no noise: true latent's LLO along training, by augmentation $|\\kappa|$")
    axes[1, 2].set_xscale("log")
    meta = chi.meta["config"]
    fig.suptitle(f"Training dynamics (beyond the paper; {meta['profile']} profile: Adam 1e-3, {meta['steps']:,} steps, "
                 f"{len(chi.coord('seed'))} seeds, {BAND}). The optimum does not move with $\\chi$ < 1 or "
                 "$|\\kappa|$; the way there does.", fontsize=10)
    fig.tight_layout()
    save(fig, results_dir, "dynamics")
    lines = ["# Training dynamics (beyond the paper)", "",
             f"Steps until the LLO stays within {TOLERANCE} of its final value (mean over seeds, min-max); "
             f"{meta['profile']} profile, {meta['steps']:,} Adam steps, evaluated at "
             f"{len(chi.coord('step'))} points.", "", "| setting | steps | final LLO |", "|---|---|---|"]
    for name, panel, values, settle in (("chi", chi, chi_values, chi_settle), ("|kappa|", kappa, kappa_values,
                                                                             kappa_settle)):
        axis = "chi" if name == "chi" else "kappa"
        for v, s in zip(values, settle):
            final = panel.get("llo", **{axis: v})[-1].mean()
            lines.append(f"| {name} = {v:g} | {s.mean():,.0f} ({s.min():,.0f}-{s.max():,.0f}) | {final:.3f} |")
    text = "\n".join(lines) + "\n"
    atomic_write(Path(results_dir) / "dynamics.md", lambda f: f.write(text.encode()))
    print(text)
