"""``python -m reports readme [--results DIR] [--readme FILE] [--check]``: the results, written from the arrays.

Writes ``DIR/README.md``: for each panel of Figures 3 and 4 the numbers its claim reads (means over
seeds, each beside its theory), the beyond-the-paper results, Table 1's lead table
(:mod:`reports.table1`) and the claims' verdicts (:mod:`reports.claims`, judged on what ``DIR``
holds, training nothing). It also writes the verdict table between the markers
``<!-- verdicts -->`` and ``<!-- /verdicts -->`` of the front page ``FILE`` (default README.md).
No number in either is typed by hand. ``--check`` writes nothing and exits 1 naming each file
that differs from what the arrays give (a test runs it).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional

import numpy as np

from lamsim.runtime import results
from reports import claims as judged
from reports import table1 as table1_report
from reports.table1_load import load_tables

START, END = "<!-- verdicts -->", "<!-- /verdicts -->"


def mean(loaded: results.Results, metric: str, **where) -> float:
    """The seed mean of ``metric`` at the coordinates ``where`` (every other axis but seed fixed)."""
    arr, dims = results.select(loaded, metric, **where)
    if dims != ["seed"]:
        raise results.ResultsError(f"{metric} at {where} still has axes {dims}; fix every axis but seed")
    return float(np.mean(arr))


def _row(*cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _num(value: float, spec: str = ".3f") -> str:
    return "–" if np.isnan(value) else format(value, spec)


def figure3(base: Path) -> list:
    left, middle, right = (results.load(base / n) for n in ("fig3_left", "fig3_middle", "fig3_right"))
    llo = left.arrays["llo"].mean(-1)
    d_a, d_z = np.meshgrid(left.coords["d_a"], left.coords["d_z"], indexing="ij")
    full, short = d_z >= d_a, d_z < d_a
    gap = np.abs(llo - (1 + d_z / d_a))[short].max()
    s = 0.5
    act = mean(middle, "llo", sigma=s, d_z=8, action_target="action")
    sub = mean(middle, "llo", sigma=s, d_z=8, action_target="subspace")
    lines = ["## Figure 3 (claims C2-C4)", "",
             f"*Left* (C2, no noise): LLO {llo[full].min():.3f} at the least wherever d_z >= d_a; below, at most "
             f"{gap:.3f} from 1 + d_z/d_a.", "",
             f"*Middle* (C3, i.i.d. noise, d_z 8, sigma {s:g}): LLO {act:.4f} with the action as the target, a gap "
             f"{2 - act:.4f} to 2 where sigma^2/(1 + sigma^2) = {s ** 2 / (1 + s ** 2):.4f}; {sub:.4f} with the "
             f"action's subspace as the target.", "",
             "*Right* (C4, other agents):", "", _row("sigma_exo", "d_z", "LLO", "theory"), "|---|---|---|---|"]
    for sigma, dz in ((0.5, 8), (2.0, 8), (2.0, int(right.coords["d_z"].max()))):
        lines.append(_row(f"{sigma:g}", dz, f"{mean(right, 'llo', sigma=sigma, d_z=dz):.3f}",
                          f"{mean(right, 'theory_llo', sigma=sigma, d_z=dz):.3f}"))
    return lines + [""]


def figure4(base: Path) -> list:
    left, middle, right = (results.load(base / n) for n in ("fig4_left", "fig4_middle", "fig4_right"))
    lines = ["## Figure 4 (claims C5-C7)", "",
             "*Left* (C5, d_z 8): other agents (sigma_exo 0.5) read with interventional probes, and no noise read "
             "with probes fitted on the policy's own data (the paper's protocol). Drift: the LLO at the end minus at "
             "half the steps; a point that moved by more than 0.01 has not converged and no verdict rests on it.", "",
             _row("chi", "other agents: LLO", "theory", "drift", "no noise, policy-fit probes: LLO"),
             "|---|---|---|---|---|"]
    for chi in left.coords["chi"]:
        exo = dict(chi=chi, d_z=8, noise="exo", probe="interventional")
        lines.append(_row(f"{chi:g}", f"{mean(left, 'llo', **exo):.3f}", _num(mean(left, 'theory_llo', **exo)),
                          f"{mean(left, 'llo_drift', **exo):+.3f}",
                          f"{mean(left, 'llo', chi=chi, d_z=8, noise='none', probe='policy-fit'):.3f}"))
    sigmas = [s for s in middle.coords["sigma"]]
    lines += ["", "*Middle* (C6, augmentation strength |kappa|, LLO):", "",
              _row("kappa", *(f"sigma {s:g}" for s in sigmas)), "|---|" + "---|" * len(sigmas)]
    for kappa in middle.coords["kappa"]:
        lines.append(_row(f"{kappa:g}", *(f"{mean(middle, 'llo', kappa=kappa, sigma=s):.3f}" for s in sigmas)))
    rates = list(right.coords["label_rate"])
    lines += ["", "*Right* (C7, action labels at rate lambda, d_z 8, LLO):", "",
              _row("sigma_exo", *(f"lambda {r:g}" for r in rates)), "|---|" + "---|" * len(rates)]
    for sigma in right.coords["sigma"]:
        lines.append(_row(f"{sigma:g}", *(f"{mean(right, 'llo', sigma=sigma, d_z=8, label_rate=r):.3f}"
                                          for r in rates)))
    return lines + [""]


def beyond(base: Path) -> list:
    idm, labels = results.load(base / "idm"), results.load(base / "labels")
    chis = [0.0, 0.5, 0.9, float(idm.coords["chi"].max())]
    lines = ["## Beyond the paper", "",
             "The difference IDM z = C (o' - o) against the paper's z = C o + D o' (no noise, d_z 8, true latent), LLO:",
             "", _row("chi", *(f"{c:g}" for c in chis)), "|---|" + "---|" * len(chis)]
    for kind in idm.coords["idm"]:
        lines.append(_row(kind, *(f"{mean(idm, 'llo', idm=kind, chi=c, d_z=8, noise='none', latent='true'):.3f}"
                                  for c in chis)))
    rates = list(labels.coords["label_rate"])
    lines += ["", "Label rate against the numerical optimum of the expected loss (LLO):", "",
              _row("lambda", "trained", "optimum"), "|---|---|---|"]
    lines += [_row(f"{r:g}", f"{mean(labels, 'llo', label_rate=r):.3f}", f"{mean(labels, 'optimum_llo', label_rate=r):.3f}")
              for r in rates]
    return lines + ["", "Training curves: [dynamics.md](dynamics.md). Exogenous state with its own dynamics and the "
                        "remedies later work proposes: [exo_remedies.md](exo_remedies.md), rows X0-X6 of "
                        "[claims.md](claims.md). Representation targets and a multi-step IDM: "
                        "[beyond.md](beyond.md), rows R0-R7."]


def table1(base: Path) -> list:
    authors, cpu, ours = load_tables(base)
    if authors is None:
        return []
    lead = table1_report.authors_section(authors)
    columns = table1_report.ordering_columns(authors, cpu, ours)
    summary = [line for line in table1_report.orderings_side_by_side(columns) if line.startswith("Of the paper's")]
    return ["#" + lead[0]] + lead[1:] + summary + ["", "Every ordering, the width sweep and our variant: "
                                                   "[table1.md](table1.md)."]


def verdicts(base: Path, statements: bool) -> list:
    """Markdown lines: the verdicts' summary per group, then each group's table (claims judged on
    what ``base`` holds, training nothing); ``statements``: the full statements, else short titles."""
    claims, _ = judged.judge_all(base)
    return judged.summary(claims) + [""] + judged.grouped(claims, statements, level="####")


def results_readme(base: Path) -> str:
    lines = ["# Results", "",
             "Written by `python -m reports readme` from the arrays in this folder; no number here is typed by hand. "
             "Our reading: exact profile, closed-form probes, means over seeds. The paper's own reading: "
             "[paper/agreement.md](paper/agreement.md). Checks, thresholds and worst points: [claims.md](claims.md).",
             ""]
    lines += figure3(base) + figure4(base) + beyond(base) + [""]
    lines += ["## Table 1 (claim C8)", ""] + table1(base) + [""]
    lines += ["## Verdicts", ""] + verdicts(base, statements=True)
    return "\n".join(lines)


def front_page(readme: str, base: Path) -> str:
    """``readme`` with its verdict tables (between :data:`START` and :data:`END`) made anew."""
    if START not in readme or END not in readme:
        raise results.ResultsError(f"the front page lacks the markers {START} and {END}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    claims, _ = judged.judge_all(base)
    open_claims = [c for c in claims if c.verdict != judged.HOLDS]
    lines = judged.summary(claims) + [""]
    if open_claims:
        lines += ["The claims that do not hold:", ""] + judged.verdict_table(open_claims, statements=False)
    return head + START + "\n" + "\n".join(lines).rstrip() + \
        "\n\nEvery claim, check, threshold and worst point: [results/claims.md](results/claims.md).\n" + END + tail


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reports readme", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default="results", help="results folder (default results/)")
    p.add_argument("--readme", default="README.md", help="the front page whose verdict table is rewritten")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = p.parse_args(argv)
    base, front = Path(args.results), Path(args.readme)
    wanted = {base / "README.md": results_readme(base), front: front_page(front.read_text(), base)}
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is out of date: run python -m reports readme", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        results.atomic_write(path, lambda f, text=wanted[path]: f.write(text.encode()))
        print(f"wrote {path}")
    return 0
