"""``python -m reports augmentation [--results DIR]``: Table 1's augmentation row, candidate by candidate.

No stored script of the authors makes the paper's augmentation row. The candidate protocols
(:data:`experiments.table1.AUGMENTATION_CANDIDATES`, declared with their reasons and predictions
in docs/method.md Sec. 17.2 before they ran) are judged against the paper's row the declared way:
each cell's difference from the paper's in standard errors, g = (ours - paper) /
sqrt(s.e.^2 + s.e. paper^2), and the distance D = sqrt(g_c^2 + g_s^2). The candidate with the
smallest D under the cpu profile is the one run at the authors' size; a candidate matches the
paper's row iff |g_c| <= 2 and |g_s| <= 2 there.

Reads ``table1_augmentation`` (the candidates, cpu profile), ``table1_authors`` (their code's copy
and our fresh mask, cpu profile), the units of ``table1_augmentation_faithful`` for the closest
candidate and ``table1_authors_faithful`` (both at the authors' size); writes
``DIR/table1_augmentation.md``. Trains nothing.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional

from experiments.paper import TABLE1 as PAPER
from experiments.table1 import AUGMENTATION
from experiments.table1_units import assemble, unit_status
from lamsim.runtime import results
from reports.checks import mean_se
from reports.pages import write_page
from reports.table1_load import FULL_SIZE, optional
from reports.table1_stats import first_seeds, fmt, gap_in_se, setting_names

#: The paper's row, and the rows of the authors' table that are augmentations too.
PAPER_ROW = PAPER["augmentation"]
AUTHORS_AUGMENTATIONS = {"augmentation": "copy (their code)", "augmentation_fresh": "fresh (ours)"}
#: A candidate matches the paper's row when both cells lie within this many standard errors.
MATCH_SE = 2.0
METRICS = ("controllable_loss", "stochastic_loss")


def cells(table: results.Results, row: str) -> dict:
    """metric -> (mean, s.e.) of ``row`` of ``table``, and the gaps g and the distance D."""
    i = setting_names(table).index(row)
    out = {m: mean_se(table.arrays[m][i]) for m in METRICS}
    gaps = [gap_in_se(out[m], PAPER_ROW[m]) for m in METRICS]
    return {**out, "gaps": gaps, "distance": math.hypot(*gaps), "seeds": len(table.coords["seed"]),
            "match": all(abs(g) <= MATCH_SE for g in gaps)}


def candidates(cpu: results.Results) -> dict:
    """candidate -> :func:`cells` under the cpu profile."""
    return {row: cells(cpu, row) for row in setting_names(cpu)}


def closest(cpu: results.Results) -> str:
    """The candidate nearest the paper's row under the cpu profile (smallest D)."""
    found = candidates(cpu)
    return min(found, key=lambda row: found[row]["distance"])


def faithful(base: Path, row: str) -> Optional[results.Results]:
    """``row`` of the candidates at the authors' size, assembled from its units in ``base`` once all of
    its seeds exist (None before)."""

    table = AUGMENTATION.with_profile("faithful")
    one = dataclasses.replace(table, rows={row: table.rows[row]})
    done, missing = unit_status(base, one, one.default_seeds)
    return None if missing else assemble(base, one, one.default_seeds)[0]


def _line(name: str, found: dict) -> str:
    (c, cs), (s, ss) = found["controllable_loss"], found["stochastic_loss"]
    gc, gs = found["gaps"]
    return (f"| {name} | {fmt((c, cs))} | {gc:+.1f} | {fmt((s, ss))} | {gs:+.1f} | {found['distance']:.1f} | "
            f"{'yes' if found['match'] else 'no'} |")

_HEAD = ["| protocol | controllable | g_c (s.e.) | stochastic | g_s (s.e.) | D | within 2 s.e. of both |",
         "|---|---|---|---|---|---|---|"]


def markdown(base: Path) -> str:
    """The page (see the module docstring)."""
    cpu = results.load(base / AUGMENTATION.name)
    authors_cpu = optional(base / "table1_authors")
    paper = " / ".join(fmt(PAPER_ROW[m]) for m in METRICS)
    lines = ["# Table 1's augmentation row: the candidate protocols", "",
             "Written by `python -m reports augmentation` from the arrays; no number is typed by hand. The candidates "
             "and the distance were declared before they ran (docs/method.md Sec. 17.2). The paper's row "
             f"(controllable / stochastic): {paper}. g: a cell's difference from the paper's in standard errors, "
             "(ours - paper) / sqrt(s.e.^2 + s.e. paper^2); D = sqrt(g_c^2 + g_s^2).", "",
             f"## The cpu profile (W 16, M 128), {len(cpu.coords['seed'])} seeds", "", *_HEAD]
    found = candidates(cpu)
    lines += [_line(f"`{row}`", found[row]) for row in found]
    if authors_cpu is not None:
        lines += [_line(f"`{name}` (table1_authors)", cells(authors_cpu, row))
                  for row, name in AUTHORS_AUGMENTATIONS.items() if row in setting_names(authors_cpu)]
    nearest = closest(cpu)
    lines += ["", f"Closest to the paper's row under the cpu profile: `{nearest}` (D {found[nearest]['distance']:.1f})."]
    full, authors_full = faithful(base, nearest), optional(base / FULL_SIZE)
    lines += ["", "## The authors' size (W 64, M 512)", ""]
    if full is None:
        lines += [f"`{nearest}` has not run at the authors' size: `python -m experiments table1_augmentation "
                  f"--profile faithful --rows {nearest}`."]
        return "\n".join(lines) + "\n"
    lines += _HEAD + [_line(f"`{nearest}`, {len(full.coords['seed'])} seeds", cells(full, nearest))]
    if authors_full is not None:
        first = first_seeds(authors_full, len(full.coords["seed"]))
        lines += [_line(f"`{name}` (table1_authors_faithful, seeds 0-{len(first.coords['seed']) - 1})", cells(first, row))
                  for row, name in AUTHORS_AUGMENTATIONS.items()]
    verdict = cells(full, nearest)["match"]
    cpu_matches = [f"`{row}`" for row, found in candidates(cpu).items() if found["match"]]
    lines += ["", f"**Verdict:** under the cpu profile {', '.join(cpu_matches) or 'no candidate'} "
                  f"{'lie' if len(cpu_matches) > 1 else 'lies'} within {MATCH_SE:g} s.e. of both of the paper's cells; "
                  f"at the authors' size the closest, `{nearest}`, {'does' if verdict else 'does not'}"
              + (": it reproduces the paper's row." if verdict else
                 (": none of the candidates reproduces the paper's row." if not cpu_matches else "."))]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    return write_page(argv, "augmentation", __doc__, "table1_augmentation.md", markdown)
