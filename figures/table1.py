"""Table 1 report: ``RESULTS/table1.md`` and ``RESULTS/figures/table1.{png,pdf}``.

Reads ``table1``, ``table1_codes`` and ``table1_frames`` (written by
``python -m experiments table1``), and ``table1_norestart`` where present
(``python -m experiments.table1 --variant norestart``). The markdown puts our
mean +- s.e. over seeds, under both normalisers (total and conditional
variance), beside the paper's numbers, and judges each ordering the paper
reports as a paired difference over seeds (holds / not resolved / FAIL, as
claim C8 does). The figure shows sample frames of the world and, per setting
(seed 0), what each latent code makes the FDM do to a fixed frame.

    python -m figures.table1 [--results DIR]
    python -m figures.table1 --compare DIR   # another realisation of the same seeds, against the published one
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from experiments.paper import TABLE1 as PAPER  # noqa: E402
from experiments.paper import TABLE1_LABELS as LABELS  # noqa: E402
from experiments.paper import ORDERING_SE, TABLE1_ORDERINGS, paired_ordering, table1_ordering  # noqa: E402
from figures._plot import save  # noqa: E402
from lamsim.runtime import results  # noqa: E402


def mean_se(values: np.ndarray) -> tuple[float, float]:
    """Mean and standard error over seeds [S] (NaN if undefined)."""
    values = np.asarray(values, dtype=float)
    if np.all(np.isnan(values)):
        return math.nan, math.nan
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return float(values.mean()), float(se)


def _fmt(pair) -> str:
    if pair is None or math.isnan(pair[0]):
        return "–"
    mean, se = pair
    return f"{mean:.3f}" if math.isnan(se) else f"{mean:.3f} ± {se:.3f}"


def _fmt_d(p) -> str:
    return f"{p.mean:+.3f} ± {p.se:.3f}"


def _paired(table: results.Results, metric: str, low: str, high: str):
    """The paired ordering of ``metric`` between settings ``low`` and ``high``
    over seeds, or None where ``table`` lacks the metric."""
    values = table.arrays.get(metric)
    if values is None:
        return None
    settings = [str(s) for s in table.coords["setting"]]
    return paired_ordering(values[settings.index(low)], values[settings.index(high)])


def orderings(table: results.Results, title: str) -> list:
    """Markdown lines: each of the paper's orderings as a paired difference
    d_s = metric[higher, s] - metric[lower, s] over seeds, under both
    normalisers, with the verdict (on the published, total-variance one)."""
    lines = [f"## {title}", "",
             f"Per seed s (same initialisation and data in every setting): d_s = metric[higher] - metric[lower]; "
             f"mean ± s.e. (std(ddof=1)/sqrt(n)) over {len(table.coords['seed'])} seeds. Holds: mean > 0 and >= "
             f"{ORDERING_SE:g} s.e.; not resolved: 0 < mean < {ORDERING_SE:g} s.e.; FAIL: mean <= 0.", "",
             "| ordering | why | d (total variance) | d (conditional variance) | verdict |", "|---|---|---|---|---|"]
    counts = {}
    for metric, low, high, why in TABLE1_ORDERINGS:
        pair = {suffix: _paired(table, metric + suffix, low, high) for suffix in ("", "_cond")}
        verdict = pair[""].verdict
        counts[verdict] = counts.get(verdict, 0) + 1
        cond = "–" if pair["_cond"] is None else f"{_fmt_d(pair['_cond'])} ({pair['_cond'].verdict})"
        lines.append(f"| {table1_ordering(metric, low, high)} | {why} | {_fmt_d(pair[''])} | {cond} | "
                     f"{verdict} |")
    summary = ", ".join(f"{counts.get(v, 0)} {v}" for v in ("holds", "not resolved", "FAIL"))
    return lines + ["", f"Of {len(TABLE1_ORDERINGS)} orderings: {summary}.", ""]


def markdown(table: results.Results, norestart=None) -> str:
    """The report: both normalisers beside the paper's numbers, then the paired
    orderings of ``table`` and, if given, of the no-restart variant."""
    settings = [str(s) for s in table.coords["setting"]]
    n = len(table.coords["seed"])
    metrics = [m for m in ("controllable_loss", "controllable_loss_cond", "stochastic_loss", "stochastic_loss_cond",
                           "action_purity") if m in table.arrays]
    ours = {m: {s: mean_se(table.arrays[m][i]) for i, s in enumerate(settings)} for m in metrics}
    cfg = table.meta["config"]
    lines = [
        "# Table 1: non-linear LAM on the 4x4 grid world",
        "",
        f"Ours: mean ± s.e. over {n} seeds, {cfg['steps']:,} Adam updates, batch {cfg['model']['batch']}, "
        f"width {cfg['model']['width']}, {cfg['model']['codes']} codes, dead-code restarts "
        f"{'on' if cfg['model'].get('restarts', True) else 'off'}; held-out uniform-policy set of "
        f"{cfg['model']['eval_size']} transitions. Controllable loss: MSE on rows 0-2 of o' (lower = "
        "more action in the latent). Stochastic loss: MSE on row 3 (1.0 = no noise in the latent). Each divided by "
        "the total variance of those pixels (as published) or by the conditional variance E||o' - E[o' | o]||^2 "
        "(0.8 per sample on rows 0-2, where predicting E[o' | o] scores 1.0). "
        "Action purity: share of transitions whose code's most frequent action is their own. "
        "Architectures differ from the paper's: compare orderings, not digits.",
        "",
        "| Setting | Controllable, total var (ours) | Controllable, cond. var (ours) | Controllable (paper) "
        "| Stochastic, total var (ours) | Stochastic, cond. var (ours) | Stochastic (paper) | Action purity (ours) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(metric, s):
        return _fmt(ours[metric][s]) if metric in ours else "–"

    for s in settings:
        lines.append(f"| {LABELS.get(s, s)} | {cell('controllable_loss', s)} | {cell('controllable_loss_cond', s)} | "
                     f"{_fmt(PAPER.get(s, {}).get('controllable_loss'))} | {cell('stochastic_loss', s)} | "
                     f"{cell('stochastic_loss_cond', s)} | {_fmt(PAPER.get(s, {}).get('stochastic_loss'))} | "
                     f"{cell('action_purity', s)} |")
    lines += [""] + orderings(table, "The paper's orderings, paired over seeds")
    if norestart is not None:
        lines += orderings(norestart, f"Without dead-code restarts ({len(norestart.coords['seed'])} seeds, "
                                      f"{norestart.meta['config']['steps']:,} updates)")
        rows = [str(s) for s in norestart.coords["setting"]]
        lines += ["| Setting | Controllable, total var | Stochastic, total var | Action purity | Codes used |",
                  "|---|---|---|---|---|"]
        used = norestart.arrays.get("codes_used")
        for i, s in enumerate(rows):
            lines.append(f"| {LABELS.get(s, s)} | {_fmt(mean_se(norestart.arrays['controllable_loss'][i]))} | "
                         f"{_fmt(mean_se(norestart.arrays['stochastic_loss'][i]))} | "
                         f"{_fmt(mean_se(norestart.arrays['action_purity'][i]))} | "
                         f"{'–' if used is None else _fmt(mean_se(used[i]))} |")
        lines.append("")
    lines += [f"Wall time of the run: {table.meta['wall_s']:.0f} s on {table.meta['environment']['device_kind']} "
              f"({len(table.meta['environment']['devices'])} device(s)).", ""]
    return "\n".join(lines)


def compare(table: results.Results, other: results.Results, what: str) -> str:
    """Markdown: how far ``other`` (the same seeds and config, another
    realisation) moves each mean of ``table``, and each ordering's paired
    difference and verdict under both."""
    settings = [str(s) for s in table.coords["setting"]]
    if [str(s) for s in other.coords["setting"]] != settings or len(other.coords["seed"]) != len(table.coords["seed"]):
        raise results.ResultsError(f"{what}: settings or seeds differ from the published table; nothing to compare")
    metrics = ("controllable_loss", "stochastic_loss", "action_purity")
    lines = [f"## A second realisation: {what}", "",
             "| Setting | " + " | ".join(f"{m}: published -> other (shift)" for m in metrics) + " |",
             "|---|" + "---|" * len(metrics)]
    shifts = []
    for i, s in enumerate(settings):
        cells = []
        for m in metrics:
            a, b = mean_se(table.arrays[m][i])[0], mean_se(other.arrays[m][i])[0]
            cells.append("–" if math.isnan(a) else f"{a:.3f} -> {b:.3f} ({b - a:+.3f})")
            if not math.isnan(a):
                shifts.append(abs(b - a))
        lines.append(f"| {LABELS.get(s, s)} | " + " | ".join(cells) + " |")
    lines += ["", f"Largest shift of a mean: {max(shifts):.3f}.", "",
              "| ordering | d published | d other | verdicts |", "|---|---|---|---|"]
    for metric, low, high, _ in TABLE1_ORDERINGS:
        pa, pb = _paired(table, metric, low, high), _paired(other, metric, low, high)
        lines.append(f"| {table1_ordering(metric, low, high)} | {_fmt_d(pa)} | {_fmt_d(pb)} | "
                     f"{pa.verdict} / {pb.verdict} |")
    return "\n".join(lines + [""])


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


def main(results_dir: str = "results") -> Path:
    """Write the markdown table and the figure; returns the markdown's path."""
    base = Path(results_dir)
    table = results.load(base / "table1", required=("controllable_loss", "stochastic_loss", "action_purity"))
    codes = results.load(base / "table1_codes", required=("effect",))
    frames = results.load(base / "table1_frames")
    try:
        norestart = results.load(base / "table1_norestart", required=("controllable_loss", "stochastic_loss"))
    except results.ResultsError:
        norestart = None
    md = base / "table1.md"
    text = markdown(table, norestart)
    results.atomic_write(md, lambda f: f.write(text.encode()))
    figure(frames, codes, base)
    return md


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="results", help="results directory")
    parser.add_argument("--compare", metavar="DIR",
                        help="print how far DIR/table1 (the same seeds, another realisation) moves each mean and "
                             "ordering of the published table, instead of writing the report")
    args = parser.parse_args()
    if args.compare:
        published = results.load(Path(args.results) / "table1", required=("controllable_loss",))
        print(compare(published, results.load(Path(args.compare) / "table1", required=("controllable_loss",)),
                      args.compare))
    else:
        print(main(args.results))
