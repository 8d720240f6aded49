"""The paper's Figures 3 and 4 as the paper drew them: our paper reading (lines) and the
authors' own values (markers), point by point.

``python -m figures paper [--results DIR]`` reads DIR/paper/<panel>.npz (experiments/paper_reading.py)
and the authors' values (experiments/authors.py); writes DIR/figures/paper.png/.pdf. Each panel
has the paper's axes (Figure 4 middle against d_z, Figure 4 left with every d_z) and plots the
number the authors' notebook plots, without Figure 3 middle's cosmetic offset.
"""
from pathlib import Path

import numpy as np

from experiments import authors, paper_reading
from experiments.paper_reading import plotted
from figures._plot import colors, plt, save
from lamsim.runtime.results import load, select

MARK = dict(ls="none", marker="o", ms=3.5, mfc="none", mew=0.9)


def _ours(results_dir, panel):
    return plotted(panel, load(Path(results_dir) / paper_reading.FOLDER / panel))


def _lines(ax, ours, theirs, x_axis, hue_axis, where=None, cmap="coolwarm", ls="-", label=True, metric="llo"):
    """One line per ``hue_axis`` value: ours (seed mean) against ``x_axis``, theirs as markers."""
    where = where or {}
    hues = ours.coords[hue_axis]
    for c, h in zip(colors(len(hues), cmap), hues):
        mine, dims = select(ours, metric, **{hue_axis: h}, **where)
        ax.plot(ours.coords[x_axis], np.nanmean(mine, -1), ls=ls, lw=1.2, color=c, marker=".", ms=3,
                label=f"{hue_axis} {h:g}" if label else None)
        found = np.isclose(theirs.coords[hue_axis].astype(float), float(h))
        if found.any():
            ref, _ = select(theirs, metric, **{hue_axis: theirs.coords[hue_axis][found][0]}, **where)
            ax.plot(theirs.coords[x_axis], ref, color=c, **MARK)


def main(results_dir="results"):
    panels = {p: (_ours(results_dir, p), authors.load(p)) for p in authors.PANELS}
    fig, axes = plt.subplots(2, 3, figsize=(17, 10))

    ours, theirs = panels["fig3_left"]
    _lines(axes[0, 0], ours, theirs, "d_z", "d_a")
    axes[0, 0].set(title="Fig 3 left: no noise, A = I", xlabel="latent size $d_z$", ylabel="LLO (-act + obs + 1)")

    ours, theirs = panels["fig3_middle"]
    _lines(axes[0, 1], ours, theirs, "sigma", "d_z")
    axes[0, 1].set(title="Fig 3 middle: i.i.d. noise; probes fitted noisy, scored noise-free\n"
                         "(no cosmetic offset)", xlabel="noise scale $\\sigma_{iid}$", ylabel="LLO")

    ours, theirs = panels["fig3_right"]
    ax = axes[0, 2]
    for c, s in zip(("tab:blue", "tab:red"), ours.coords["sigma"]):
        for metric, ls, name in (("llo", "-", "LLO"), ("nmse_action", ":", "act"), ("nmse_noise", "--", "noise")):
            mine, _ = select(ours, metric, sigma=s)
            value = np.clip(mine, 0, 1) if metric == "nmse_noise" else mine
            ax.plot(ours.coords["d_z"], np.nanmean(value, -1), ls=ls, color=c, lw=1.2,
                    label=f"$\\sigma_{{exo}}$ {s:g}: {name}")
            ref, _ = select(theirs, metric, sigma=s)
            ax.plot(theirs.coords["d_z"], ref, color=c, **MARK)
    ax.set(title="Fig 3 right: other agents, A = I (noise term x$\\sigma^2$, clipped)", xlabel="latent size $d_z$",
           ylabel="LLO and its terms")

    ours, theirs = panels["fig4_left"]
    _lines(axes[1, 0], ours, theirs, "chi", "d_z")
    axes[1, 0].set(title="Fig 4 left: action from $\\hat o' - o$, o from z,\nprobes fitted on the policy's data",
                   xlabel="policy determinism $\\chi$", ylabel="LLO")

    ours, theirs = panels["fig4_middle"]
    ax = axes[1, 1]
    for ls, s in zip(("-", ":", "--", "-."), ours.coords["sigma"]):
        _lines(ax, ours, theirs, "d_z", "kappa", {"sigma": s}, ls=ls, label=s == 0)
        ax.plot([], [], ls=ls, color="k", label=f"$\\sigma_{{iid}}$ {s:g} (uniform)")
    ax.set(title="Fig 4 middle: augmentation (-act + obs + 1)", xlabel="latent size $d_z$", ylabel="LLO")

    ours, theirs = panels["fig4_right"]
    ax = axes[1, 2]
    for ls, s in zip(("-", "--", ":"), ours.coords["sigma"]):
        _lines(ax, ours, theirs, "d_z", "label_rate", {"sigma": s}, ls=ls, label=s == 0.5)
        ax.plot([], [], ls=ls, color="k", label=f"$\\sigma_{{exo}}$ {s:g}")
    ax.set(title="Fig 4 right: 1% labels, $|\\kappa|$ 0.1 (LLO clipped at 2)", xlabel="latent size $d_z$",
           ylabel="LLO")

    for ax in axes.flat:
        ax.axhline(2.0, color="k", ls=":", lw=0.8)
        ax.legend(fontsize=6, ncol=2)
    seeds = {p: len(o.coords["seed"]) for p, (o, _) in panels.items()}
    fig.suptitle("The paper's figures as the paper read them. Lines: lamsim's paper reading (mean over "
                 f"{min(seeds.values())}-{max(seeds.values())} seeds); open markers: the authors' values "
                 "(github zhangchuheng123/LinearLAM, scripts/*.csv).", fontsize=11)
    fig.tight_layout()
    save(fig, results_dir, "paper")
