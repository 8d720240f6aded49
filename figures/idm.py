"""Beyond the paper: LLO against chi for the full and the difference IDM (experiments/idm.py).

``python -m figures idm [--results DIR]`` reads DIR/idm.npz; writes DIR/figures/idm.png/.pdf.
Solid: the difference IDM's true latent z = C (o' - o); dotted: the full IDM's true latent
z = C o + D o'; dash-dot: the full IDM's surrogate; dashed: the PCA theory (both IDMs' optimum,
undefined at chi = 1). One colour per d_z.
"""
from pathlib import Path

from figures._plot import BAND, band, colors, plt, save, theory
from lamsim.runtime.results import load

LINES = (("difference", "true", "-", "difference IDM, z"), ("full", "true", ":", "full IDM, z"),
         ("full", "surrogate", "-.", "full IDM, surrogate"))


def main(results_dir="results"):
    r = load(Path(results_dir) / "idm", required=("llo", "theory_llo"))
    ds = r.to_xarray()
    chi = ds.chi.values
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, noise, title in zip(axes, ("none", "exo"), ("no noise", "other agents, $\\sigma_{exo}$=0.5")):
        for c, d_z in zip(colors(len(ds.d_z), "plasma"), ds.d_z.values):
            at = dict(noise=noise, d_z=d_z)
            for idm, latent, ls, label in LINES:
                runs = ds.llo.sel(idm=idm, latent=latent, **at).transpose("chi", "seed").values
                band(ax, chi, runs, f"{label}, $d_z$={d_z}", c, ls=ls)
            theory(ax, chi, ds.theory_llo.sel(idm="difference", latent="true", **at).transpose("chi", "seed").values,
                   c, f"theory, $d_z$={d_z}")
        ax.set(title=f"LLO against $\\chi$: {title}", xlabel="policy determinism $\\chi$")
    axes[0].set_ylabel("LLO (interventional probes)")
    axes[0].legend(fontsize=7, ncol=2)
    config = r.meta.get("config", {})
    fig.suptitle(f"Which inputs should the IDM see? ({config.get('profile', '?')} profile, "
                 f"{len(ds.seed)} seeds, {BAND}; dashed: theory)", fontsize=11)
    fig.tight_layout()
    save(fig, results_dir, "idm")
