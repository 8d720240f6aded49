"""``python -m experiments probes PANEL ...``: where the closed-form probe may stand in
for probes trained the authors' way.

Trains each named panel's reduced grid under the paper's protocol (one seed) and reads every run
both ways, with the closed-form probe and with probes trained as the authors trained them
(``reading``); prints the largest difference of the plotted LLO and both readings, as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from experiments import paper_reading
from lamsim.linear.sweep import Axis, Sweep, run_sweep
from lamsim.runtime.devices import use_all_host_cores


def probe_readings(name: str, seeds: int = 1) -> dict:
    """Train ``name``'s reduced grid under the paper's protocol and read every run with both probe
    estimates; returns the largest |difference| of the plotted LLO and the two readings."""

    panel = paper_reading.PANELS[name]
    base = panel.base.replace(profile=panel.fixed_profile, steps=paper_reading.STEPS[name], reading="exact")
    axes = tuple(Axis.of(a.name, a.values) for a in panel.quick_axes) + (Axis.of("reading", ["exact", "paper"]),)
    result = run_sweep(Sweep(f"probes/{name}", base, axes, seeds=seeds))
    llo = paper_reading.plotted(name, result).arrays["llo"].mean(-1)
    return {"max_abs": float(np.max(np.abs(llo[..., 0] - llo[..., 1]))),
            "exact": np.round(llo[..., 0], 3).tolist(), "paper": np.round(llo[..., 1], 3).tolist()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m experiments probes", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("panels", nargs="+", metavar="PANEL", help=f"one or more of {', '.join(paper_reading.PANELS)}")
    args = p.parse_args(argv)
    for name in args.panels:
        if name not in paper_reading.PANELS:
            print(f"error: panel={name!r} is invalid: must be one of {', '.join(paper_reading.PANELS)}",
                  file=sys.stderr)
            return 2

    use_all_host_cores()
    for name in args.panels:
        print(name, json.dumps(probe_readings(name)), flush=True)
    return 0
