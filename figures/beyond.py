"""Beyond pixels: does a representation target change what the latent learns? (experiments/beyond.py)

``python -m figures beyond [--results DIR]`` reads DIR/beyond_features.npz, beyond_horizon.npz,
beyond_encoder.npz and beyond_encoder_readings.npz; writes DIR/figures/beyond.png/.pdf. Top: V1, the LLO
against the agent map's leak gamma and against a random map's size d_r, one colour per background
(dotted: pixels); V3, nMSE(a_t) against the horizon k, one line style per persistence psi (x: theory). Bottom: V2,
||W|| / ||W_0|| along training per variant (other agents 1.5), and per variant and background as heat
maps (exact profile): nMSE(a | z) and the distance of the surrogate from the frozen-map theory at W_0.
Solid: trained (mean, band min to max over seeds); dashed: the theory.
"""
from pathlib import Path

import numpy as np

from figures._plot import BAND, band, colors, plt, save, theory
from lamsim.runtime.results import load


def _values(ds, prefix):
    names = [str(v) for v in ds["features"].values if str(v).startswith(prefix)]
    return names, np.asarray([float(n.split()[1]) for n in names])


def main(results_dir="results"):
    base = Path(results_dir)
    features = load(base / "beyond_features", required=("llo", "theory_llo")).to_xarray()
    horizon = load(base / "beyond_horizon", required=("nmse_action", "theory_nmse_action")).to_xarray()
    encoder = load(base / "beyond_encoder", required=("nmse_action_z",)).to_xarray()
    readings = load(base / "beyond_encoder_readings", required=("w_norm",)).to_xarray()
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    palette = dict(zip(features.background.values, colors(len(features.background), "plasma")))
    for ax, prefix, xlabel in ((axes[0, 0], "agent", "leak $\\gamma$ of F = $P_X$ + $\\gamma$(I - $P_X$)"),
                               (axes[0, 1], "random", "feature size $d_r$ of a random map")):
        names, x = _values(features, prefix)
        for background, c in palette.items():
            at = features.sel(background=background, features=names)
            band(ax, x, at.llo.transpose("features", "seed").values, str(background), c)
            theory(ax, x, at.theory_llo.transpose("features", "seed").values, c)
            ax.axhline(float(features.llo.sel(background=background, features="pixels").mean()), color=c, ls=":",
                       lw=1)
        ax.set(title=f"V1: a frozen {prefix} map (dotted: pixels)", xlabel=xlabel, ylabel="LLO")
    ax = axes[0, 2]
    windows = [str(w) for w in horizon.window.values if not str(w).endswith("last")]
    for background, c in palette.items():
        if background not in horizon.background.values:
            continue
        for psi, ls in ((0.0, "-"), (0.9, "-."), (0.95, ":")):
            picked = [w for w in windows if w == "k1" or w.endswith(f"psi{psi:g}")]
            k = np.asarray([int(w.split()[0][1:]) for w in picked])
            at = horizon.sel(background=background, window=picked)
            ax.plot(k, at.nmse_action.mean("seed"), marker="o", ms=3, ls=ls, color=c,
                    label=f"{background}, $\\psi$={psi:g}")
            ax.plot(k, at.theory_nmse_action.mean("seed"), ls="none", marker="x", ms=5, color=c)
    ax.set(title="V3: a multi-step IDM (x: theory)", xlabel="horizon k", ylabel="nMSE($a_t$ | latent)")
    ax.set_xticks([1, 2, 4, 8])
    ax = axes[1, 0]
    steps = readings.reading.values
    for variant, c in zip(readings.variant.values, colors(len(readings.variant), "tab10")):
        runs = readings.w_norm.sel(variant=variant, background="exo 1.5", profile="exact")
        band(ax, steps, runs.transpose("reading", "seed").values, str(variant), c)
    ax.set(title="V2: the encoder's norm (other agents 1.5, exact)", xlabel="Adam step",
           ylabel="||W|| / ||$W_0$||", yscale="log")
    for ax, metric, title in ((axes[1, 1], "nmse_action_z", "V2: nMSE(a | z), exact profile"),
                              (axes[1, 2], "frozen_distance", "V2: the surrogate's distance from the theory at $W_0$")):
        cells = encoder[metric].sel(profile="exact").mean("seed").transpose("variant", "background")
        image = ax.imshow(cells.values, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(cells.background)), cells.background.values, fontsize=8)
        ax.set_yticks(range(len(cells.variant)), cells.variant.values, fontsize=8)
        for (i, j), v in np.ndenumerate(cells.values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8, color="w" if v < 0.5 else "k")
        fig.colorbar(image, ax=ax)
        ax.set_title(title)
    for ax in axes.flat[:4]:
        ax.legend(fontsize=7)
    fig.suptitle(f"Beyond pixels ($d_a$=$d_b$=$d_z$=8, {len(features.seed)} seeds, {BAND}; dashed: theory)",
                 fontsize=11)
    fig.tight_layout()
    save(fig, results_dir, "beyond")
