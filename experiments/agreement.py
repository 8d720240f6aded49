"""``python -m experiments.agreement [--results DIR]``: the paper reading against the authors' figure values.

For each panel, our seed means of ``DIR/paper/<panel>.npz`` (experiments/paper_reading.py),
turned into the number the authors' notebook plots (:data:`experiments.paper_reading.PLOTTED`),
against the authors' values (experiments/authors.py) at every point they plot, without
Figure 3 middle's cosmetic offset: n, max |d|, mean |d|, the tolerance and whether it is met.
Figure 4 left is split at chi = 1, where the probes' finite training sets the number.
Prints a Markdown table and writes it to ``DIR/paper/agreement.md``. Exit status 0 only if
every row is within its tolerance.

``--probes PANEL ...`` instead trains each panel's reduced grid (one seed) and reads it both
ways, with the closed-form probe and with probes trained the authors' way (``reading``), and
prints the largest difference of the plotted LLO: where the closed form may stand in.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np

from experiments import authors, paper_reading
from lamsim.runtime.results import Results, atomic_write, load

#: Tolerances on max |d| (the figures issue): the panels the authors scored on 10,000 samples
#: or more; Figure 3 right and Figure 4 right, scored on one batch of 128; chi = 1.
TOLERANCE = {"fig3_left": 0.05, "fig3_middle": 0.05, "fig3_right": 0.12, "fig4_left": 0.05,
             "fig4_middle": 0.05, "fig4_right": 0.12, "fig4_left, chi = 1": 0.35}


class Row(NamedTuple):
    panel: str
    n: int
    max_abs: float
    mean_abs: float
    worst: dict
    tolerance: float

    @property
    def holds(self) -> bool:
        return self.max_abs <= self.tolerance


def plotted(panel: str, result: Results) -> Results:
    """``result`` with ``llo`` replaced by the number the authors' notebook plots."""
    return result._replace(arrays={**result.arrays, "llo": paper_reading.PLOTTED[panel](result.arrays)})


def _restricted(result: Results, axis: str, keep) -> Results:
    """``result`` (ours or theirs) on the coordinates of ``axis`` that pass ``keep``."""
    index = np.flatnonzero([keep(v) for v in result.coords[axis]])
    where = result.dims.index(axis)
    return result._replace(arrays={k: np.take(v, index, axis=where) for k, v in result.arrays.items()},
                           coords={**result.coords, axis: result.coords[axis][index]})


def panel_rows(panel: str, ours: Results) -> list:
    """The agreement rows of one panel (two for Figure 4 left: chi < 1 and chi = 1)."""
    ours = plotted(panel, ours)
    if panel != "fig4_left":
        return [Row(panel, **authors.agreement(ours, panel), tolerance=TOLERANCE[panel])]
    rows = []
    for name, keep in (("fig4_left", lambda c: c < 1.0), ("fig4_left, chi = 1", lambda c: c == 1.0)):
        theirs = _restricted(authors.load("fig4_left"), "chi", keep)
        rows.append(Row(name, **authors.compare(_restricted(ours, "chi", keep), theirs, panel),
                        tolerance=TOLERANCE[name]))
    return rows


def rows(results_dir) -> list:
    """Every agreement row, from ``results_dir/paper/<panel>.npz``."""
    out = []
    for panel in authors.PANELS:
        out += panel_rows(panel, load(Path(results_dir) / paper_reading.FOLDER / panel))
    return out


def probe_readings(name: str, seeds: int = 1) -> dict:
    """Train ``name``'s reduced grid under the paper's protocol and read every run with both probe
    estimates; returns the largest |difference| of the plotted LLO and the two readings."""
    from lamsim.linear.sweep import Axis, Sweep, run_sweep

    panel = paper_reading.PANELS[name]
    base = panel.base.replace(profile=panel.fixed_profile, steps=paper_reading.STEPS[name], reading="exact")
    axes = tuple(Axis.of(a.name, a.values) for a in panel.quick_axes) + (Axis.of("reading", ["exact", "paper"]),)
    llo = plotted(name, run_sweep(Sweep(f"probes/{name}", base, axes, seeds=seeds))).arrays["llo"].mean(-1)
    return {"max_abs": float(np.max(np.abs(llo[..., 0] - llo[..., 1]))),
            "exact": np.round(llo[..., 0], 3).tolist(), "paper": np.round(llo[..., 1], 3).tolist()}


def table(found: list) -> str:
    lines = ["| panel | points | max \\|d\\| | mean \\|d\\| | worst point | tolerance | within |",
             "|---|---|---|---|---|---|---|"]
    for r in found:
        worst = ", ".join(f"{k} {v:g}" for k, v in r.worst.items())
        lines.append(f"| {r.panel} | {r.n} | {r.max_abs:.3f} | {r.mean_abs:.3f} | {worst} | {r.tolerance:g} | "
                     f"{'yes' if r.holds else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments.agreement", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default="results", help="results folder holding paper/<panel>.npz")
    p.add_argument("--probes", nargs="+", default=None, metavar="PANEL",
                   help="compare the closed-form and the trained probes on these panels' reduced grids")
    args = p.parse_args(argv)
    if args.probes:
        from lamsim.runtime.devices import use_all_host_cores

        use_all_host_cores()
        for name in args.probes:
            if name not in paper_reading.PANELS:
                print(f"error: panel={name!r} is invalid: must be one of {', '.join(paper_reading.PANELS)}",
                      file=sys.stderr)
                return 2
        for name in args.probes:
            print(name, json.dumps(probe_readings(name)), flush=True)
        return 0
    try:
        found = rows(args.results)
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = table(found)
    atomic_write(Path(args.results) / paper_reading.FOLDER / "agreement.md", lambda f: f.write(text.encode()))
    sys.stdout.write(text)
    return 0 if all(r.holds for r in found) else 1


if __name__ == "__main__":
    sys.exit(main())
