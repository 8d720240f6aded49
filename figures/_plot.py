"""What the figure scripts share: loading a panel, selecting along axes, a mean with a band."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from lamsim.runtime.results import atomic_write, load, select  # noqa: E402

BAND = "band: min to max over seeds"


class Panel:
    """A results file with selection by coordinate value: ``panel.get("llo", d_z=8)``."""

    def __init__(self, results_dir, name):
        self.loaded = load(Path(results_dir) / name, required=("llo", "theory_llo"))
        self.meta = self.loaded.meta

    def coord(self, axis):
        return self.loaded.coords[axis]

    def get(self, metric, **where):
        """``metric`` at the coordinates ``where``: remaining axes, seed last."""
        return select(self.loaded, metric, **where)[0]


def band(ax, x, runs, label=None, color=None, **kw):
    """Plot the mean over the last axis (seeds) with a min-max band."""
    runs = np.asarray(runs, float)
    line, = ax.plot(x, runs.mean(-1), marker="o", ms=3, label=label, color=color, **kw)
    ax.fill_between(x, runs.min(-1), runs.max(-1), color=line.get_color(), alpha=0.2, lw=0)
    return line


def theory(ax, x, values, color, label=None):
    """The theory curve: dashed, mean over seeds (it depends on the seed's X, Y)."""
    ax.plot(x, np.nanmean(np.asarray(values, float), -1) if np.asarray(values).ndim > 1 else values,
            ls="--", lw=1.2, color=color, label=label)


TERMS = (("nmse_action", "nMSE(a|z)", "tab:blue"), ("nmse_noise", "nMSE($\\epsilon$|z)", "tab:red"),
         ("nmse_obs", "nMSE(o|z)", "tab:grey"))


def terms(ax, x, panel, variants, extra=()):
    """The LLO's three terms (and ``extra`` (metric, label, colour) rows) against ``x``,
    one line style per variant: ``variants`` = [(line style, label suffix, selection dict)]."""
    for ls, suffix, where in variants:
        for metric, label, c in TERMS + tuple(extra):
            runs = panel.get(metric, **where)
            ax.plot(x, runs.mean(-1), ls=ls, color=c, marker="o", ms=2, label=f"{label}, {suffix}")
            ax.fill_between(x, runs.min(-1), runs.max(-1), color=c, alpha=0.15, lw=0)


def save(fig, results_dir, name):
    """Write ``RESULTS/figures/NAME.{png,pdf}`` (150 dpi), each to a temporary
    name and then renamed; the PDF carries no creation date, so redrawing the
    same arrays gives the same bytes."""
    out = Path(results_dir) / "figures"
    for ext in ("png", "pdf"):
        metadata = {"CreationDate": None} if ext == "pdf" else None
        atomic_write(out / f"{name}.{ext}", lambda f: fig.savefig(f, format=ext, dpi=150, bbox_inches="tight",
                                                                  metadata=metadata))
    plt.close(fig)
    print(f"wrote {out / name}.png and .pdf")


def colors(n, cmap="viridis"):
    return plt.get_cmap(cmap)(np.linspace(0.05, 0.9, n))
