"""Beyond the paper: exogenous state with its own dynamics and a reconstruction mask
(experiments/exo_state.py, experiments/exo_mask.py, experiments/exo_remedies.py).

``python -m figures exo_state [--results DIR]`` reads DIR/exo_state.npz, DIR/exo_mask.npz and
DIR/exo_remedies.npz and DIR/exo_remedies_optimum.npz; writes DIR/figures/exo_state.png/.pdf. Top: LLO against the persistence rho,
one colour per amplitude sigma_e, A learned (left) and A fixed to I (middle), and nMSE(e | l), the
current exogenous state read from the latent (right; solid A learned, dotted A = I). Bottom: LLO and
nMSE(e | l) against the mask's weight beta for three mask qualities, and the remedies' trained LLO
(surrogate latent) as a heat map. Dashed: the theory (gaps: undefined, at ties on a threshold).
"""
from pathlib import Path

import numpy as np

from figures._plot import BAND, band, colors, plt, save, theory
import xarray as xr

from experiments.exo_remedies import ROWS
from lamsim.runtime.results import load


def main(results_dir="results"):
    ds = load(Path(results_dir) / "exo_state", required=("llo", "theory_llo", "nmse_state")).to_xarray()
    mask = load(Path(results_dir) / "exo_mask", required=("llo", "theory_llo", "nmse_state")).to_xarray()
    remedies = load(Path(results_dir) / "exo_remedies", required=("llo",)).to_xarray()
    numerical = load(Path(results_dir) / "exo_remedies_optimum", required=("llo",)).to_xarray()
    rho = ds.rho.values
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    for c, sigma in zip(colors(len(ds.sigma), "plasma"), ds.sigma.values):
        for ax, learn_a, name in ((axes[0, 0], True, "A learned"), (axes[0, 1], False, "A fixed to I")):
            at = dict(learn_a=learn_a, sigma=sigma)
            band(ax, rho, ds.llo.sel(**at).transpose("rho", "seed").values, f"$\\sigma_e$={sigma:g}", c)
            theory(ax, rho, ds.theory_llo.sel(**at).transpose("rho", "seed").values, c)
            ax.set(title=f"LLO against $\\rho$, {name}", xlabel="persistence $\\rho$", ylabel="LLO")
            band(axes[0, 2], rho, ds.nmse_state.sel(**at).transpose("rho", "seed").values,
                 f"$\\sigma_e$={sigma:g}" if learn_a else None, c, ls="-" if learn_a else ":")
    axes[0, 2].set(title="nMSE(e | latent): solid A learned, dotted A = I", xlabel="persistence $\\rho$",
                   ylabel="nMSE of the current exogenous state")
    beta = mask.mask_weight.values
    for c, quality in zip(("tab:blue", "tab:orange", "tab:green"), mask.mask.values):
        runs = mask.llo.sel(mask=quality).transpose("mask_weight", "seed").values
        band(axes[1, 0], beta, runs, f"{quality} mask", c)
        theory(axes[1, 0], beta, mask.theory_llo.sel(mask=quality).transpose("mask_weight", "seed").values, c)
        band(axes[1, 1], beta, mask.nmse_state.sel(mask=quality).transpose("mask_weight", "seed").values,
             f"{quality} mask", c)
    for ax, what in ((axes[1, 0], "LLO"), (axes[1, 1], "nMSE(e | latent)")):
        ax.axvline(0.25, color="grey", lw=0.8, ls=":")
        ax.set(title=f"{what} against $\\beta$ ($\\sigma_e$=2, $\\rho$=0; dotted: 1/4)", xlabel="mask weight $\\beta$",
               ylabel=what)
    rows = xr.concat([remedies.llo, numerical.llo], dim="remedy").sel(remedy=list(ROWS))
    cells = rows.sel(latent="surrogate").mean("seed").transpose("remedy", "background", "sigma")
    grid = cells.values.reshape(cells.shape[0], -1)
    image = axes[1, 2].imshow(grid, vmin=-1, vmax=2, cmap="viridis", aspect="auto")
    columns = [f"{b}\n$\\sigma_e$={s:g}" for b in cells.background.values for s in cells.sigma.values]
    axes[1, 2].set_xticks(range(len(columns)), columns, fontsize=7)
    axes[1, 2].set_yticks(range(len(cells.remedy)), cells.remedy.values, fontsize=8)
    for (i, j), v in np.ndenumerate(grid):
        axes[1, 2].text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if v < 1 else "k")
    fig.colorbar(image, ax=axes[1, 2], label="trained LLO (surrogate)")
    axes[1, 2].set_title("remedies: trained LLO (theory: exo_remedies.md)")
    for ax in axes.flat[:5]:
        ax.legend(fontsize=7)
    fig.suptitle(f"Exogenous state with its own dynamics ($d_a$=$d_b$=$d_z$=8, {len(ds.seed)} seeds, {BAND}; "
                 "dashed: theory)", fontsize=11)
    fig.tight_layout()
    save(fig, results_dir, "exo_state")
