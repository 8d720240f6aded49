"""Figure 4: what helps and what hurts (policy, augmentation, action labels).

``python -m figures fig4 [--results DIR]`` reads DIR/fig4_{left,middle,right}.npz; writes DIR/figures/fig4.png/.pdf.
"""

import numpy as np

from figures._plot import BAND, Panel, band, colors, plt, save, terms, theory


def main(results_dir="results"):
    left, middle, right = (Panel(results_dir, f"fig4_{p}") for p in ("left", "middle", "right"))
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    profile = left.meta["config"]["profile"]
    seeds = len(left.coord("seed"))

    ax = axes[0, 0]
    chi = left.coord("chi")
    curves = (("exo", "interventional", "tab:red", "ours: other agents $\\sigma_{exo}$=0.5, interventional probes"),
              ("none", "policy-fit", "tab:green", "paper's protocol: no noise, probes fitted on the policy"),
              ("none", "interventional", "tab:blue", "no noise, interventional probes"))
    low = 0.0
    for noise, probe, c, label in curves:
        runs = left.get("llo", d_z=8, noise=noise, probe=probe)
        band(ax, chi, runs, label, c)
        theory(ax, chi, left.get("theory_llo", d_z=8, noise=noise, probe=probe), c)
        low = min(low, float(np.min(runs.mean(-1))))
    bottom = max(low, -1.5) - 0.1
    off = []  # means below the axis, written out in one note
    for noise, probe, c, label in curves:
        mean = left.get("llo", d_z=8, noise=noise, probe=probe).mean(-1)
        off += [f"$\\chi$={x:g}: {y:.3g}" for x, y in zip(chi, mean) if y < bottom]
    if off:
        ax.text(0.02, 0.03, "policy-fit means below the axis: " + ", ".join(off), transform=ax.transAxes,
                fontsize=7, color="tab:green")
    ax.set(title="C5: a deterministic policy: two mechanisms ($d_z$=8)", xlabel="policy determinism $\\chi$",
           ylabel="LLO (surrogate latent)", ylim=(bottom, 2.2))
    ax.legend(fontsize=7, loc="center left")

    ax = axes[1, 0]
    d_z = left.coord("d_z")
    for c, x in zip(colors(len(chi), "plasma"), chi):
        band(ax, d_z, left.get("llo", chi=x, noise="exo", probe="interventional"), f"$\\chi$={x:g}", c)
    ax.set(title="C5 (ours): LLO vs $d_z$ for each $\\chi$ ($\\sigma_{exo}$=0.5, interventional)",
           xlabel="latent size $d_z$", ylabel="LLO")
    ax.legend(fontsize=6, ncol=3)

    ax = axes[0, 1]
    kappa = middle.coord("kappa")
    x = np.where(kappa == 0, kappa[kappa > 0].min() / 3, kappa)  # |kappa| = 0 drawn at the left edge

    def kappa_axis(ax):
        ax.set_xscale("log")
        ax.set_xticks(x, ["0"] + [f"{k:g}" for k in kappa[1:]], fontsize=7)

    for c, s in zip(colors(len(middle.coord("sigma"))), middle.coord("sigma")):
        band(ax, x, middle.get("llo", sigma=s), f"$\\sigma_{{iid}}$={s:g}", c)
        theory(ax, x, middle.get("theory_llo", sigma=s), c)
    kappa_axis(ax)
    ax.set(title="C6: augmentation lifts the true latent's LLO", xlabel="augmentation strength $|\\kappa|$",
           ylabel="LLO (true latent)")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    band(ax, x, middle.get("a_minus_i", sigma=0.0), "$\\|A-I\\|_F/\\sqrt{d_o}$", "tab:purple")
    band(ax, x, middle.get("c_plus_d", sigma=0.0), "$\\|C+D\\|_F$", "tab:brown")
    kappa_axis(ax)
    ax.set_yscale("log")
    ax.set(title="C6: optimum A = I, C + D = 0 ($\\sigma_{iid}$=0)", xlabel="augmentation strength $|\\kappa|$",
           ylabel="distance")
    ax.legend(fontsize=8)

    ax = axes[0, 2]
    d_z = right.coord("d_z")
    rates = right.coord("label_rate")
    for c, rate in zip(colors(len(rates), "cividis"), rates):
        band(ax, d_z, right.get("llo", sigma=2.0, label_rate=rate), f"labels {100 * rate:g}%", c)
    ax.set(title="C7: action labels rescue $\\sigma_{exo}$=2 ($|\\kappa|$=0.1)", xlabel="latent size $d_z$",
           ylabel="LLO (true latent)")
    ax.legend(fontsize=7)

    ax = axes[1, 2]
    for c, s in zip(["tab:green", "tab:orange", "tab:red"], right.coord("sigma")):
        band(ax, 100 * rates, right.get("llo", sigma=s, d_z=8), f"LLO, $\\sigma_{{exo}}$={s:g}", c)
        band(ax, 100 * rates, right.get("dy_ratio", sigma=s, d_z=8), f"$\\|DY\\|_F/\\|D\\|_F$, $\\sigma_{{exo}}$={s:g}",
             c, ls=":")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(100 * rates, [f"{100 * r:g}" for r in rates])
    ax.set(title="C7: by label rate ($d_z$=8)", xlabel="labelled samples (%)", ylabel="value")
    ax.legend(fontsize=6, ncol=2)

    fig.suptitle(f"Figure 4: trained ({profile} profile, mean of {seeds} seeds, {BAND}); dashed: PCA theory "
                 f"(the un-augmented, unlabelled optimum).", fontsize=11)
    fig.tight_layout()
    save(fig, results_dir, "fig4")
