"""Table 1's figures: ``RESULTS/figures/table1{,_authors}.{png,pdf}`` (the report ``table1.md``:
:mod:`reports.table1`).

Reads the results as the report does (:func:`reports.table1_load.load_tables`): Table 1 as the
authors ran it (``table1_authors``, or the full size ``table1_authors_faithful`` once it exists)
and our variant ``table1`` with its ``table1_codes`` and ``table1_frames``; at least one of the two.

Figures: ``table1_authors``: both losses per row, the authors' protocol (ours), the paper's and
our variant, each +- s.e.; ``table1``: sample frames of our world and, per row (seed 0), what
each latent code of our variant makes the FDM do to a fixed frame.

    python -m figures table1 [--results DIR]

The report's ``--authors NAME`` and ``--compare DIR`` are options of ``python -m reports table1``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from experiments.paper import TABLE1 as PAPER  # noqa: E402
from experiments.paper import TABLE1_LABELS as LABELS  # noqa: E402
from figures._plot import save  # noqa: E402
from lamsim.runtime import results  # noqa: E402
from reports.table1 import AUTHORS_LABELS, table_title  # noqa: E402
from reports.table1_load import load_tables  # noqa: E402
from reports.checks import mean_se  # noqa: E402
from reports.table1_stats import setting_names  # noqa: E402


def figure_authors(authors: results.Results, ours, results_dir: Path, cpu=None) -> None:
    """Both losses per row: the authors' protocol (this reproduction), the paper's values, the cpu
    profile (where ``authors`` is the full size) and our variant, each ± s.e., into
    ``results_dir/figures/table1_authors.{png,pdf}``."""
    settings = setting_names(authors)
    x = np.arange(len(settings))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharex=True)
    norm, blind = authors.meta.get("controllable_normaliser", 0.06), authors.meta.get("action_blind_error", 0.06)
    for ax, metric, title, ylabel, reference, note in zip(
            axes, ("controllable_loss", "stochastic_loss"),
            ("Controllable loss (rows 0-2; lower = more action in z)", "Stochastic loss (row 3; higher = less noise in z)"),
            (f"MSE on rows 0-2 / {norm:.3f}", "MSE on row 3 / noise variance"),
            (blind / norm, 1.0), (f"action-blind latent: {blind / norm:.3f}", "latent without noise: 1.0")):
        series = [(f"authors' protocol, this reproduction ({table_title(authors)})",
                   [mean_se(authors.arrays[metric][i]) for i in range(len(settings))], "tab:blue"),
                  ("paper", [PAPER.get(s, {}).get(metric) or (math.nan, math.nan) for s in settings], "k")]
        if cpu is not None:
            series.append(("authors' protocol, cpu profile (W 16, M 128)",
                           [mean_se(cpu.arrays[metric][i]) for i in range(len(settings))], "tab:green"))
        if ours is not None:
            rows = setting_names(ours)
            series.append(("our variant (own world, roll augmentation, total-variance normaliser)",
                           [mean_se(ours.arrays[metric][rows.index(s)]) if s in rows else (math.nan, math.nan)
                            for s in settings], "tab:orange"))
        for k, (label, values, color) in enumerate(series):
            mean, se = np.array(values, dtype=float).T
            ax.errorbar(x + (k - (len(series) - 1) / 2) * 0.18, mean, yerr=se, fmt="o" if color != "k" else "s", color=color,
                        label=label, capsize=2, ms=4)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.axhline(reference, color="0.5", lw=0.8, ls=":")
        ax.text(len(settings) - 0.5, reference, f" {note}", fontsize=7, color="0.4", va="bottom", ha="right")
        ax.set_xticks(x)
        ax.set_xticklabels([AUTHORS_LABELS.get(s, s).split(" (")[0] + (" (fresh)" if s.endswith("fresh") else "")
                            for s in settings], rotation=35, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8, frameon=False)
    model = authors.meta["config"]["model"]
    fig.suptitle(f"Table 1 as the authors ran it ({table_title(authors)}, W {model['width']}, M {model['mlp_width']}, "
                 f"{len(authors.coords['seed'])} seeds) beside "
                 + ", ".join(["the paper"] + ["the cpu profile"] * (cpu is not None) + ["our variant"] * (ours is not None)),
                 fontsize=10)
    save(fig, results_dir, "table1_authors")


def figure(frames: results.Results, codes: results.Results, results_dir: Path) -> None:
    """Draw the figure into ``results_dir/figures/table1.{png,pdf}``."""
    actions = [str(a) for a in frames.coords["action"]]
    settings = [str(s) for s in codes.coords["setting"]]
    n_codes = len(codes.coords["code"])
    sample = frames.arrays["low_noise"]
    effect = codes.arrays["effect"][:, 0]
    code_action = codes.meta["code_action"]

    fig = plt.figure(figsize=(10.5, 7.2))
    outer = fig.add_gridspec(1, 2, width_ratios=[2, n_codes], wspace=0.12)
    left = outer[0].subgridspec(len(actions), 2, hspace=0.35, wspace=0.1)
    for i, action in enumerate(actions):
        for j, name in enumerate(("o", "o'")):
            ax = fig.add_subplot(left[i, j])
            ax.imshow(sample[i, j], cmap="Greys", vmin=0, vmax=1)
            _grid(ax)
            ax.set_title(f"{name}" if i == 0 else "", fontsize=9)
            if j == 0:
                ax.set_ylabel(action, fontsize=9)
    fig.text(0.13, 0.95, "World (low noise): one step per action;\nrows 0-2 agent, row 3 noise",
             ha="center", va="bottom", fontsize=9)

    right = outer[1].subgridspec(len(settings), n_codes, hspace=0.45, wspace=0.1)
    image = None
    for i, setting in enumerate(settings):
        for k in range(n_codes):
            ax = fig.add_subplot(right[i, k])
            image = ax.imshow(effect[i, k], cmap="RdBu_r", vmin=-1, vmax=1)
            _grid(ax)
            info = code_action[i][0][k]
            title = "unused" if info["action"] is None else f"{info['action']} {100 * info['share']:.0f}%"
            ax.set_title(title, fontsize=7, pad=2)
            if k == 0:
                ax.set_ylabel(LABELS.get(setting, setting).replace(" (default)", "").replace(" ", "\n", 1),
                              fontsize=8)
    fig.text(0.62, 0.95, "What each code does (seed 0): FDM's o'_hat - o on the frame with the agent top right;\n"
             "title = most frequent true action of the code's held-out transitions (share)",
             ha="center", va="bottom", fontsize=9)
    cax = fig.add_axes([0.93, 0.3, 0.012, 0.4])
    bar = fig.colorbar(image, cax=cax, extend="both")
    bar.ax.tick_params(labelsize=7)
    bar.set_label("o'_hat - o", fontsize=8)
    save(fig, results_dir, "table1")


def _grid(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.axhline(2.5, color="tab:orange", lw=0.8, ls="--")


def main(results_dir: str = "results", authors_name: Optional[str] = None) -> None:
    """Draw the figures of the tables that exist in ``results_dir`` into ``results_dir/figures``:
    ``table1_authors`` of the authors' protocol (``authors_name``: as
    :func:`reports.table1_load.load_tables`) and ``table1`` of our variant."""
    base = Path(results_dir)
    authors, cpu, ours = load_tables(base, authors_name)
    if authors is None and ours is None:
        raise results.ResultsError("Table 1's figures need table1_authors or table1; found neither")
    if authors is not None:
        figure_authors(authors, ours, base, cpu)
    if ours is not None:
        figure(results.load(base / "table1_frames"), results.load(base / "table1_codes", required=("effect",)), base)
