"""Beyond the paper: LLO against the label rate, trained and at the numerical optimum (experiments/labels.py).

``python -m figures labels [--results DIR]`` reads DIR/labels.npz; writes DIR/figures/labels.png/.pdf.
Left: the trained runs (band) and the optimum of the expected loss (dashed, marked x where the PCA
theory is NaN, i.e. with labels; the theory itself at label rate 0). Right: each seed's trained LLO
minus its optimum's.
"""
from pathlib import Path

import numpy as np

from figures._plot import BAND, band, plt, save
from lamsim.runtime.results import load


def main(results_dir="results"):
    r = load(Path(results_dir) / "labels", required=("llo", "theory_llo", "optimum_llo"))
    ds = r.to_xarray().transpose("label_rate", "seed")
    rates = 100 * ds.label_rate.values
    theory = ds.theory_llo.mean("seed").values
    optimum = ds.optimum_llo.mean("seed").values
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    band(left, rates, ds.llo.values, "trained", "tab:blue")
    reference = np.where(np.isnan(theory), optimum, theory)
    left.plot(rates, reference, ls="--", color="tab:blue", lw=1.2, label="optimum (theory where defined)")
    left.plot(rates[np.isnan(theory)], optimum[np.isnan(theory)], ls="none", marker="x", color="tab:blue")
    band(right, rates, (ds.llo - ds.optimum_llo).values, "trained - optimum", "tab:red")
    right.axhline(0.0, color="grey", lw=0.8)
    config = r.meta.get("config", {})
    base = config.get("base", {})
    for ax in (left, right):
        ax.set_xscale("symlog", linthresh=0.1)
        ax.set_xticks(rates, [f"{v:g}" for v in rates], fontsize=7)
        ax.set_xlabel("labelled samples (%)")
        ax.legend(fontsize=8)
    right.set_xlim(left.get_xlim())
    left.set(ylabel="LLO (true latent)", title="LLO: trained and optimum")
    right.set(ylabel="LLO difference", title="distance from the optimum")
    fig.suptitle(f"How many labels? $\\sigma_{{exo}}$={base.get('sigma', '?')}, $d_z$={base.get('d_z', '?')}, "
                 f"$|\\kappa|$={base.get('kappa', '?')} ({config.get('profile', '?')} profile, "
                 f"{config.get('steps', '?')} steps, {len(ds.seed)} seeds, {BAND})", fontsize=10)
    fig.tight_layout()
    save(fig, results_dir, "labels")
