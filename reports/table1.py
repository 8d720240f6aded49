"""Table 1 report: ``RESULTS/table1.md`` (the figures: :mod:`figures.table1`).

Reads ``table1_authors`` (Table 1 as the authors ran it: ``python -m experiments table1_authors``),
our variant ``table1`` (``python -m experiments table1``), and, where present, the no-restart
variant ``table1_norestart`` and the width sweep ``table1_authors_w*``
(``python -m experiments.table1_widths``); at least one of the two tables.

The markdown leads with the authors' protocol, on which claim C8 rests: each cell ours +- s.e.
over seeds beside the paper's +- s.e. and their difference in standard errors
(ours - paper) / sqrt(s.e. ours^2 + s.e. paper^2); the check of the authors' normaliser 0.060
against the exact error of the best action-blind prediction under walls; the paper's nine
orderings as paired differences over seeds (holds / not resolved / FAIL, as claim C8 does)
under the authors' protocol and under our variant side by side; the width sweep. Then our
variant's own table, under both of its normalisers (total and conditional variance).
The statistics and the cells' formats are in :mod:`reports.table1_stats`.

    python -m reports table1 [--results DIR] [--authors NAME]
    python -m reports table1 --compare DIR   # another realisation of our variant, against the published one
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Optional

from experiments.paper import TABLE1 as PAPER, TABLE1_LABELS as LABELS, TABLE1_ORDERINGS, table1_ordering
from lamsim.gridworld.authors.settings import AuthorsConfig, profile
from lamsim.runtime import results
from reports.checks import UNRESOLVED, VERDICTS, mean_se, overall
from reports.nonlinear import PAPER_SEEDS
from reports.table1_load import load_tables, optional, units_status, width_tables
from reports.table1_stats import ORDERING_SE, first_seeds, fmt, fmt_d, fmt_gap, paired, setting_names

#: How an ordering's verdict is read, in words.
VERDICT_WORDS = (f"Holds: mean > 0 and >= {ORDERING_SE:g} s.e.; contradicted: mean < 0 and <= -{ORDERING_SE:g} s.e.; "
                 f"otherwise not resolved (with the seeds it would need at the observed effect, where it points the "
                 f"paper's way).")


def orderings(table: results.Results, title: str) -> list:
    """Markdown lines: each of the paper's orderings as a paired difference
    d_s = metric[higher, s] - metric[lower, s] over seeds, under both
    normalisers, with the verdict (on the published, total-variance one)."""
    lines = [f"## {title}", "",
             f"Per seed s (same initialisation and data in every setting): d_s = metric[higher] - metric[lower]; "
             f"mean ± s.e. (std(ddof=1)/sqrt(n)) over {len(table.coords['seed'])} seeds. {VERDICT_WORDS}", "",
             "| ordering | why | d (total variance) | d (conditional variance) | verdict |", "|---|---|---|---|---|"]
    counts = {}
    for metric, low, high, why in TABLE1_ORDERINGS:
        pair = {suffix: paired(table, metric + suffix, low, high) for suffix in ("", "_cond")}
        verdict = pair[""].verdict
        counts[verdict] = counts.get(verdict, 0) + 1
        cond = "–" if pair["_cond"] is None else f"{fmt_d(pair['_cond'])} ({pair['_cond'].verdict})"
        lines.append(f"| {table1_ordering(metric, low, high)} | {why} | {fmt_d(pair[''])} | {cond} | "
                     f"{verdict} |")
    summary = ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
    return lines + ["", f"Of {len(TABLE1_ORDERINGS)} orderings: {summary}.", ""]


def ours_section(table: results.Results, norestart=None) -> list:
    """Markdown lines of our variant: both normalisers beside the paper's numbers, then the paired
    orderings of ``table`` and, if given, of the no-restart variant."""
    settings = [str(s) for s in table.coords["setting"]]
    n = len(table.coords["seed"])
    metrics = [m for m in ("controllable_loss", "controllable_loss_cond", "stochastic_loss", "stochastic_loss_cond",
                           "action_purity") if m in table.arrays]
    ours = {m: {s: mean_se(table.arrays[m][i]) for i, s in enumerate(settings)} for m in metrics}
    cfg = table.meta["config"]
    lines = [
        "## Our variant: our world and model (a robustness row)",
        "",
        f"Ours: mean ± s.e. over {n} seeds, {cfg['steps']:,} Adam updates, batch {cfg['model']['batch']}, "
        f"width {cfg['model']['width']}, {cfg['model']['codes']} codes, dead-code restarts "
        f"{'on' if cfg['model'].get('restarts', True) else 'off'}; held-out uniform-policy set of "
        f"{cfg['model']['eval_size']} transitions. Controllable loss: MSE on rows 0-2 of o' (lower = "
        "more action in the latent). Stochastic loss: MSE on row 3 (1.0 = no noise in the latent). Each divided by "
        "the total variance of those pixels (as published) or by the conditional variance E||o' - E[o' | o]||^2 "
        "(0.8 per sample on rows 0-2, where predicting E[o' | o] scores 1.0). "
        "Action purity: share of transitions whose code's most frequent action is their own. "
        "Our world is a torus of i.i.d. pairs and our model is not the authors': compare orderings, not digits.",
        "",
        "| Setting | Controllable, total var (ours) | Controllable, cond. var (ours) | Controllable (paper) "
        "| Stochastic, total var (ours) | Stochastic, cond. var (ours) | Stochastic (paper) | Action purity (ours) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def cell(metric, s):
        return fmt(ours[metric][s]) if metric in ours else "–"

    for s in settings:
        lines.append(f"| {LABELS.get(s, s)} | {cell('controllable_loss', s)} | {cell('controllable_loss_cond', s)} | "
                     f"{fmt(PAPER.get(s, {}).get('controllable_loss'))} | {cell('stochastic_loss', s)} | "
                     f"{cell('stochastic_loss_cond', s)} | {fmt(PAPER.get(s, {}).get('stochastic_loss'))} | "
                     f"{cell('action_purity', s)} |")
    lines += [""] + orderings(table, "Our variant: the paper's orderings under both normalisers")
    if norestart is not None:
        lines += orderings(norestart, f"Without dead-code restarts ({len(norestart.coords['seed'])} seeds, "
                                      f"{norestart.meta['config']['steps']:,} updates)")
        rows = [str(s) for s in norestart.coords["setting"]]
        lines += ["| Setting | Controllable, total var | Stochastic, total var | Action purity | Codes used |",
                  "|---|---|---|---|---|"]
        used = norestart.arrays.get("codes_used")
        for i, s in enumerate(rows):
            lines.append(f"| {LABELS.get(s, s)} | {fmt(mean_se(norestart.arrays['controllable_loss'][i]))} | "
                         f"{fmt(mean_se(norestart.arrays['stochastic_loss'][i]))} | "
                         f"{fmt(mean_se(norestart.arrays['action_purity'][i]))} | "
                         f"{'–' if used is None else fmt(mean_se(used[i]))} |")
        lines.append("")
    lines += [_wall(table, "our variant"), ""]
    return lines


def _wall(table: results.Results, what: str) -> str:
    env = table.meta.get("environment", {})
    return (f"Wall time of {what}: {table.meta.get('wall_s', math.nan):.0f} s on {env.get('device_kind', '?')} "
            f"({len(env.get('devices', []))} device(s)).")


def markdown(authors=None, ours=None, norestart=None, widths=(), cpu=None, status: str = "") -> str:
    """The report (see the module docstring): the authors' protocol (``authors``: at their size
    once it is complete, else the cpu profile), the orderings under it, the cpu profile (``cpu``,
    when ``authors`` is the full size) and our variant, the width sweep ``widths`` [(label,
    Results)], then our variant; ``status``: a line on the full size's units while it is
    incomplete. ``authors`` or ``ours`` may be None, not both."""
    if authors is None and ours is None:
        raise results.ResultsError("Table 1's report needs table1_authors or table1; found neither")
    lines = ["# Table 1: non-linear LAM on the 4x4 grid world (paper Sec. 5)", ""]
    if status:
        lines += [status, ""]
    if authors is not None:
        lines += authors_section(authors)
    lines += orderings_side_by_side(ordering_columns(authors, cpu, ours))
    for table in (authors, cpu):
        if table is not None:
            lines += [_wall(table, f"the authors' protocol, {table_title(table)}"), ""]
    if widths:
        lines += width_section(list(widths))
    if ours is not None:
        lines += ours_section(ours, norestart)
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
        pa, pb = paired(table, metric, low, high), paired(other, metric, low, high)
        lines.append(f"| {table1_ordering(metric, low, high)} | {fmt_d(pa)} | {fmt_d(pb)} | "
                     f"{pa.verdict} / {pb.verdict} |")
    return "\n".join(lines + [""])

#: Row names of the authors' protocol: their augmentation is the paper's row; ours adds a fresh-noise one.
AUTHORS_LABELS = {**LABELS, "augmentation": "Augmentation (copy, as their code)",
                  "augmentation_fresh": "Augmentation (fresh target noise; ours)"}
#: The two augmentation orderings again, with the fresh-noise augmentation in place of the authors'.
FRESH_ORDERINGS = tuple((m, lo.replace("augmentation", "augmentation_fresh"), hi.replace("augmentation",
                         "augmentation_fresh"), why) for m, lo, hi, why in TABLE1_ORDERINGS
                        if "augmentation" in (lo, hi))


def _describe_authors(table: results.Results) -> str:
    cfg, model = table.meta["config"], table.meta["config"]["model"]
    config = AuthorsConfig(**model)
    updates = config.epochs * config.updates_per_epoch
    return (f"Profile `{cfg['profile']}`: {model['width']} filters, MLP width {model['mlp_width']}, batch "
            f"{model['batch']}, {model['epochs']} epochs ({updates:,} Adam updates at {model['learning_rate']:g}), "
            f"{model['trajectories']:,} trajectories of {model['frames']} frames; mean ± s.e. over "
            f"{len(table.coords['seed'])} seeds. Each loss is the per-pixel MSE of o'_hat on held-out "
            f"uniform-policy pairs, averaged over the updates of the last {model['metric_epochs']} epochs (model "
            f"in training mode): rows 0-2 divided by {model['controllable_normaliser']:g} (controllable), row 3 "
            f"by the noise variance (stochastic; 1.0 = no noise in the latent).")


def authors_section(table: results.Results) -> list:
    """Markdown lines: Table 1 under the authors' protocol beside the paper's numbers (difference in
    s.e.), and the check of the authors' normaliser."""
    arrays = table.arrays
    n = len(table.coords["seed"])
    lines = [f"## Table 1 as the authors ran it ({table_title(table)}; claim C8 rests on it)", "",
             _describe_authors(table),
             "Columns: this reproduction's mean ± s.e.; the paper's (its ± read as an s.e. over its 5 seeds); and "
             "their difference in standard errors, (reproduction - paper) / sqrt(s.e.^2 + s.e. paper^2).", "",
             "| Setting | Controllable (reproduction) | Controllable (paper) | reproduction - paper (s.e.) | "
             "Stochastic (reproduction) | Stochastic (paper) | reproduction - paper (s.e.) | "
             "Controllable, exact normaliser (reproduction) | Action purity | Codes used |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for i, s in enumerate(setting_names(table)):
        paper = PAPER.get(s, {})
        mine = {m: mean_se(arrays[m][i]) if m in arrays else None for m in
                ("controllable_loss", "stochastic_loss", "controllable_loss_exact", "action_purity", "codes_used")}
        cells = []
        for metric in ("controllable_loss", "stochastic_loss"):
            cells += [fmt(mine[metric]), fmt(paper.get(metric)), fmt_gap(mine[metric], paper.get(metric))]
        cells += [fmt(mine[m]) for m in ("controllable_loss_exact", "action_purity", "codes_used")]
        lines.append(f"| {AUTHORS_LABELS.get(s, s)} | " + " | ".join(cells) + " |")
    if n > PAPER_SEEDS:
        first = first_seeds(table, PAPER_SEEDS)
        lines += ["", f"The same cells over seeds 0-{PAPER_SEEDS - 1} (the paper's seed count):", "",
                  "| Setting | Controllable | reproduction - paper (s.e.) | Stochastic | reproduction - paper (s.e.) |",
                  "|---|---|---|---|---|"]
        for i, s in enumerate(setting_names(first)):
            cells = []
            for metric in ("controllable_loss", "stochastic_loss"):
                mine = mean_se(first.arrays[metric][i])
                cells += [fmt(mine), fmt_gap(mine, PAPER.get(s, {}).get(metric))]
            lines.append(f"| {AUTHORS_LABELS.get(s, s)} | " + " | ".join(cells) + " |")
    norm, blind = table.meta.get("controllable_normaliser"), table.meta.get("action_blind_error")
    if norm is not None and blind is not None:
        frames = table.meta["config"]["model"]["frames"]
        lines += ["", f"The normaliser. The authors divide the rows-0-2 MSE by {norm:.3f}. The exact error of the best "
                      f"prediction that does not know the action, E[o' | o], on this data (uniform policy, walls, "
                      f"{frames}-frame trajectories from row 1, column 2) is {blind:.6f}: a latent without action "
                      f"information reads {blind / norm:.3f} under {norm:.3f} and 1.000 under the exact normaliser "
                      f"(the column 'exact normaliser'). Values and orderings here use the authors' {norm:.3f}."]
    return lines + [""]

#: The claim each column's orderings decide (reports/claims.py): C8 reads the authors' size once
#: all its units exist, else the cpu profile.
CLAIM_OF = {"authors' size": "C8", "cpu profile": "C8 (cpu profile)", "our variant": "C8 (ours)"}
#: What the report calls a table of the authors' protocol at a profile's own sizes.
PROFILE_TITLES = {"faithful": "authors' size", "cpu": "cpu profile"}


def table_title(table) -> str:
    """The report's name for a table of the authors' protocol: its profile's (:data:`PROFILE_TITLES`)
    at that profile's sizes, else its widths."""

    model = table.meta["config"]["model"]
    for name, title in PROFILE_TITLES.items():
        if model == profile(name).to_dict():
            return title
    return f"profile {table.meta['config']['profile']}, W {model['width']}, M {model['mlp_width']}"


def _summary(verdicts: list, claim: str) -> str:
    counts = {v: verdicts.count(v) for v in VERDICTS}
    return ", ".join(f"{counts[v]} {v}" for v in counts) + f" ({claim}: {overall(verdicts)})"


def _verdict_cell(p) -> str:
    """An ordering's verdict, with the seeds it would need where it is not resolved and points the
    paper's way."""
    return f"{p.verdict} (~{p.seeds_needed:.0f} seeds)" if p.verdict == UNRESOLVED and p.mean > 0 and \
        p.n > 1 else p.verdict


def ordering_columns(authors, cpu, ours) -> list:
    """(title, table) of each table present, the authors' protocol first; where it has more seeds than
    the paper's 5, its first 5 seeds beside it."""
    columns = [(title, t) for title, t in ((authors and table_title(authors), authors), ("cpu profile", cpu),
                                           ("our variant", ours)) if t is not None]
    if authors is not None and len(authors.coords["seed"]) > PAPER_SEEDS:
        columns.insert(1, (f"{table_title(authors)}, seeds 0-{PAPER_SEEDS - 1}", first_seeds(authors, PAPER_SEEDS)))
    return columns


def orderings_side_by_side(columns: list) -> list:
    """Markdown lines: the paper's nine orderings as paired differences over seeds under each
    (title, table) of ``columns`` (the authors' protocol first), and the two augmentation orderings
    with the fresh-noise augmentation where a table has it."""
    lines = ["## The paper's orderings, paired over seeds", "",
             "Per seed s (same initialisation and data in every row): d_s = metric[higher] - metric[lower]; mean ± "
             f"s.e. (std(ddof=1)/sqrt(n)). {VERDICT_WORDS} C8's verdict rests on the authors' protocol at their "
             "size; where it has more seeds than the paper's 5, its first 5 seeds stand beside it.", "",
             "| ordering | why | " + " | ".join(f"{title}: d | verdict" for title, _ in columns) + " |",
             "|---|---|" + "---|---|" * len(columns)]
    verdicts = {title: [] for title, _ in columns}
    for metric, low, high, why in TABLE1_ORDERINGS + FRESH_ORDERINGS:
        extra = (metric, low, high, why) in FRESH_ORDERINGS
        cells = []
        for title, table in columns:
            p = paired(table, metric, low, high) if {low, high} <= set(setting_names(table)) else None
            cells += ["–", "–"] if p is None else [fmt_d(p), _verdict_cell(p)]
            if p is not None and not extra:
                verdicts[title].append(p.verdict)
        if all(c == "–" for c in cells):
            continue
        lines.append(f"| {table1_ordering(metric, low, high)} | {why}{' (not in the paper)' if extra else ''} | "
                     + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"Of the paper's {len(TABLE1_ORDERINGS)} orderings, {title} ({len(table.coords['seed'])} seeds): "
              f"{_summary(verdicts[title], CLAIM_OF.get(title, title))}." for title, table in columns]
    return lines + [""]


def width_section(tables: list) -> list:
    """Markdown lines: the authors' protocol at each width [(label, Results)], narrowest first: both
    losses per row, and each ordering's paired difference and verdict."""
    titles = [label for label, _ in tables]
    lines = ["## The width sweep of the authors' protocol (CPU)", "",
             "The same protocol, schedule and seeds at each width (W filters, MLP width M), mean ± s.e. over seeds; "
             "(cpu) marks the cpu profile and (authors' size) the authors' own width. What narrowing moves: read each "
             "row from the narrowest column towards the paper's.", "",
             "| Setting | loss | " + " | ".join(titles) + " | paper |", "|---|---|" + "---|" * (len(titles) + 1)]
    settings = setting_names(tables[-1][1])
    for s in settings:
        for metric in ("controllable_loss", "stochastic_loss"):
            cells = [fmt(mean_se(t.arrays[metric][setting_names(t).index(s)])) for _, t in tables]
            lines.append(f"| {AUTHORS_LABELS.get(s, s)} | {metric.split('_')[0]} | " + " | ".join(cells) +
                         f" | {fmt(PAPER.get(s, {}).get(metric))} |")
    lines += ["", "| ordering | " + " | ".join(titles) + " |", "|---|" + "---|" * len(titles)]
    for metric, low, high, _ in TABLE1_ORDERINGS:
        cells = [f"{fmt_d(p)} {p.verdict}" for p in (paired(t, metric, low, high) for _, t in tables)]
        lines.append(f"| {table1_ordering(metric, low, high)} | " + " | ".join(cells) + " |")
    lines += ["", "| | " + " | ".join(titles) + " |", "|---|" + "---|" * len(titles),
              "| wall time of the run (s) | " + " | ".join(f"{t.meta.get('wall_s', math.nan):.0f}" for _, t in tables)
              + " |", ""]
    return lines


def write(results_dir: str = "results", authors_name: Optional[str] = None) -> Path:
    """Write the markdown; returns its path. ``authors_name``: as :func:`load_tables`; with one
    given, no width sweep and no line on the full size's units."""
    base = Path(results_dir)
    authors, cpu, ours = load_tables(base, authors_name)
    default = authors_name is None
    text = markdown(authors, ours, optional(base / "table1_norestart"), width_tables(base) if default else [], cpu,
                    units_status(base) if default else "")
    md = base / "table1.md"
    results.atomic_write(md, lambda f: f.write(text.encode()))
    return md


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports table1", description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default="results", help="results directory")
    parser.add_argument("--authors", default=None, metavar="NAME",
                        help="the authors'-protocol result to lead with (default: table1_authors_faithful once it "
                             "exists, else the cpu profile's table1_authors)")
    parser.add_argument("--compare", metavar="DIR",
                        help="print how far DIR/table1 (the same seeds, another realisation) moves each mean and "
                             "ordering of the published table, instead of writing the report")
    args = parser.parse_args(argv)
    if args.compare:
        published = results.load(Path(args.results) / "table1", required=("controllable_loss",))
        print(compare(published, results.load(Path(args.compare) / "table1", required=("controllable_loss",)),
                      args.compare))
    else:
        print(write(args.results, args.authors))
    return 0
