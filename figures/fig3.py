"""Figure 3: the linear LAM is PCA on the frame change (surrogate latent).

``python -m figures fig3 [--results DIR]`` reads DIR/fig3_{left,middle,right}.npz; writes DIR/figures/fig3.png/.pdf.
"""

import numpy as np

from figures._plot import BAND, Panel, band, colors, plt, save, terms, theory


def main(results_dir="results"):
    left, middle, right = (Panel(results_dir, f"fig3_{p}") for p in ("left", "middle", "right"))
    fig, axes = plt.subplots(2, 4, figsize=(20, 8.5))
    profile = left.meta["config"]["profile"]
    seeds = len(left.coord("seed"))
    ridge = left.meta["config"]["ridge"]

    ax = axes[0, 0]
    d_z = left.coord("d_z")
    for c, d_a in zip(colors(len(left.coord("d_a"))), left.coord("d_a")):
        band(ax, d_z, left.get("llo", d_a=d_a), f"$d_a$={d_a}", c)
        theory(ax, d_z, left.get("theory_llo", d_a=d_a), c)
    ax.set(title="C2 (no noise): LLO = 2 iff $d_z \\geq d_a$", xlabel="latent size $d_z$", ylabel="LLO")
    ax.legend(fontsize=7, ncol=2, loc="lower right")

    ax = axes[1, 0]
    for c, d_a in zip(colors(len(left.coord("d_a"))), left.coord("d_a")):
        gap = left.get("llo", d_a=d_a) - left.get("llo_ridge0", d_a=d_a)
        band(ax, d_z, gap, f"$d_a$={d_a}", c)
    ax.set(title=f"probe ridge: LLO($\\delta$={ridge:g}) $-$ LLO($\\delta$=0)", xlabel="latent size $d_z$",
           ylabel="LLO difference")
    ax.text(0.02, 0.95, "with $\\delta$=0 a spare latent coordinate holding\na trace of o reads a whole "
            "dimension of o:\nLLO $\\approx 2-(d_z-d_a)/d_o$ where $d_z > d_a$", transform=ax.transAxes,
            va="top", fontsize=8)

    sigma = middle.coord("sigma")
    for ax, target, words in ((axes[0, 1], "action", "our target a"),
                              (axes[0, 2], "subspace", "paper's target $X^+(q+\\epsilon)$")):
        for c, dz in zip(colors(len(middle.coord("d_z"))), middle.coord("d_z")):
            band(ax, sigma, middle.get("llo", d_z=dz, action_target=target), f"$d_z$={dz}", c)
            theory(ax, sigma, middle.get("theory_llo", d_z=dz, action_target=target), c)
        ax.set(title=f"C3 (i.i.d. noise), {words}: on the PCA theory", xlabel="noise scale $\\sigma_{iid}$",
               ylabel="LLO")
        ax.legend(fontsize=7, ncol=2)

    ax = axes[1, 1]
    for c, dz in zip(colors(len(middle.coord("d_z"))), middle.coord("d_z")):
        band(ax, sigma, middle.get("alignment", d_z=dz, action_target="action"), f"$d_z$={dz}", c)
    ax.set(title="C3: span(B) keeps the action subspace", xlabel="noise scale $\\sigma_{iid}$",
           ylabel="alignment $\\|Q_B^T X\\|_F^2 / d_a$", ylim=(0, 1.05))
    ax.legend(fontsize=7, ncol=2)

    ax = axes[1, 2]
    for target, c, words in (("action", "tab:blue", "our target a"), ("subspace", "tab:red", "paper's target")):
        band(ax, sigma, middle.get("llo", d_z=8, action_target=target), words, c)
        theory(ax, sigma, middle.get("theory_llo", d_z=8, action_target=target), c)
    ax.axvline(0.5, color="grey", lw=0.8, ls=":")
    ax.set(title="C3: \"negligible gap up to $\\sigma_{iid}$ 0.5\" depends on the target ($d_z$=8)",
           xlabel="noise scale $\\sigma_{iid}$", ylabel="LLO")
    ax.legend(fontsize=8)

    ax = axes[0, 3]
    d_z = right.coord("d_z")
    for c, s in zip(["tab:green", "tab:orange", "tab:red"], right.coord("sigma")):
        band(ax, d_z, right.get("llo", sigma=s), f"$\\sigma_{{exo}}$={s:g}", c)
        theory(ax, d_z, right.get("theory_llo", sigma=s), c)
    ax.axvline(8, color="grey", lw=0.8, ls=":")
    ax.set(title="C4 (other agents): noise first when $\\sigma_{exo} > 1$", xlabel="latent size $d_z$",
           ylabel="LLO")
    ax.legend(fontsize=8)

    ax = axes[1, 3]
    terms(ax, d_z, right, [(ls, f"$\\sigma_{{exo}}$={s:g}", {"sigma": s}) for s, ls in ((0.5, "-"), (2.0, "--"))])
    ax.set(title="C4: the three LLO terms", xlabel="latent size $d_z$", ylabel="normalised MSE", ylim=(-0.03, 1.05))
    ax.legend(fontsize=7)

    fig.suptitle(f"Figure 3: linear LAM, surrogate latent. Solid: trained ({profile} profile, mean of {seeds} seeds, "
                 f"{BAND}); dashed: PCA theory. Probe ridge $\\delta$={ridge:g}.", fontsize=11)
    fig.tight_layout()
    save(fig, results_dir, "fig3")
