"""Command line: ``python -m lamsim run|sweep|plot|bench``. Results go to stdout as
JSON (``sweep`` and ``plot`` write files); progress and logs to stderr. Bad input
ends with ``error: ...`` (one line) on stderr and exit status 2, before anything
is trained or written."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from lamsim import bench
from lamsim.errors import fail, integer
from lamsim.explore import parse_vary, plot
from lamsim.linear.evaluate import METRICS
from lamsim.linear.fields import FIELDS
from lamsim.linear.optimum import OPTIMUM_METRICS
from lamsim.linear.probes import DEFAULT_RIDGE
from lamsim.linear.settings import Setting
from lamsim.linear.state import STATE_METRICS
from lamsim.linear.sweep import Sweep, run_sweep
from lamsim.linear.window_eval import run_one
from lamsim.runtime import results
from lamsim.runtime.devices import use_all_host_cores
from lamsim.runtime.results import check_writable


def _finite_or_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def _setting_flags(p: argparse.ArgumentParser) -> None:
    """The flags that build a :class:`~lamsim.linear.settings.Setting` (one per field of the table,
    :data:`~lamsim.linear.fields.FIELDS`; a bool field's flag sets the opposite of its default) and
    its sweep."""
    for f in FIELDS:
        if f.kind is bool:
            p.add_argument(f.flag, dest=f.name, action="store_const", const=not f.default, default=f.default,
                           help=f.help)
        else:
            p.add_argument(f.flag, dest=f.name, type=f.kind, default=f.default, help=f.help)
    p.add_argument("--seeds", type=int, default=1, help="how many seeds")
    p.add_argument("--ridge", type=float, default=None, help="probe ridge delta (default 1e-4; 0 allowed)")
    p.add_argument("--optimum", action="store_true",
                   help="also compute the numerical optimum of the expected loss and its LLO (optimum_llo; "
                        "L-BFGS from several starts, lamsim/linear/optimum.py)")


def _sweep_of(args, name: str, axes=(), curve: int = 0):
    setting = Setting(**{f.name: getattr(args, f.name) for f in FIELDS})
    return Sweep(name, setting, tuple(axes), seeds=args.seeds, first_seed=args.seed,
                 ridge=DEFAULT_RIDGE if args.ridge is None else args.ridge, curve=curve, optimum=args.optimum)


def _sweep(args) -> dict:
    axes = [parse_vary(v) for v in args.vary]
    out = Path(args.out)
    if out.suffix in (".npz", ".json"):
        out = out.with_suffix("")
    check_writable("out", out)
    sweep = _sweep_of(args, out.name, axes, args.curve)
    result = run_sweep(sweep)
    config = {"base": sweep.base.to_dict(), "vary": args.vary, "seeds": sweep.seeds, "first_seed": sweep.first_seed,
              "ridge": sweep.ridge, "curve": sweep.curve, "optimum": sweep.optimum}
    path = results.save(out.parent, out.name, result.arrays, result.dims, result.coords,
                        {"config": config, **result.meta, "environment": results.environment_info()})
    return {"npz": str(path), "dims": list(result.dims), "shape": list(result.arrays["llo"].shape),
            "wall_s": round(result.meta["wall_s"], 3)}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lamsim", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train and evaluate one setting over seeds; prints JSON")
    _setting_flags(run)
    sweep = sub.add_parser("sweep", help="a sweep over any Setting fields; writes OUT.npz and OUT.json")
    sweep.add_argument("--vary", action="append", required=True, metavar="FIELD=V1,V2,...|FIELD=START:STOP:STEP",
                       help="one sweep axis (repeat for more; the dims follow their order, then seed); "
                            "noise=KIND[:SIGMA],... varies the noise kind with its scale, e.g. "
                            "noise=none,iid:0.5,exo:2")
    _setting_flags(sweep)
    sweep.add_argument("--curve", type=int, default=0, help="evaluate at this many points during training")
    sweep.add_argument("--out", required=True, help="results path without suffix (writes OUT.npz, OUT.json)")
    plot = sub.add_parser("plot", help="draw a metric of a results file against one of its axes; writes a PNG")
    plot.add_argument("path", help="a results file (X.npz)")
    plot.add_argument("--x", required=True, help="the axis on the x axis")
    plot.add_argument("--y", default="llo", help="the metric (default llo)")
    plot.add_argument("--hue", default=None, help="an axis drawn as one line per value")
    plot.add_argument("--out", default=None, help="the PNG (default: PATH with .png)")
    bench = sub.add_parser("bench", help="training throughput of the vmapped trainers, sample-based (fast) and "
                                         "exact, and their ratio; prints JSON")
    bench.add_argument("--configs", type=int, default=64, help="copies of the standard setting, one seed each")
    bench.add_argument("--steps", type=int, default=None, help="steps per timing (default 1000; suite 500)")
    bench.add_argument("--suite", action="store_true",
                       help="the scaling table: 1/16/64/256 settings, the sequential baseline, d_o 128/512/2048, "
                            "peak memory; writes OUT/bench.json and OUT/figures/bench.png")
    bench.add_argument("--memory", action="store_true",
                       help="run a sweep of 2,048 settings at d_o 512 through the chunked runner; report peak memory")
    bench.add_argument("--out", default="results", help="where --suite writes bench.json (default results/)")
    return p


def _run(args) -> dict:
    sweep = _sweep_of(args, "run")
    setting = sweep.base
    if setting.beyond:
        if args.optimum:
            fail("optimum", True, "has no meaning with the window trainer (features or idm_horizon > 1)")
        out = run_one(setting, range(args.seed, args.seed + args.seeds), sweep.ridge)
        return {"settings": {**setting.to_dict(), "steps": setting.train_steps, "seeds": args.seeds,
                             "ridge": sweep.ridge}, "trainer": "window", **out}
    result = run_sweep(sweep)
    import numpy as np

    keys = [m for m in METRICS if not m.startswith("theory_nmse") and m != "llo_ridge0"]
    keys += [m for m in OPTIMUM_METRICS + STATE_METRICS if m in result.arrays]
    mean = {m: _finite_or_none(np.mean(result.arrays[m])) for m in keys}
    per_seed = {m: [_finite_or_none(v) for v in result.arrays[m]] for m in keys}
    return {"settings": {**setting.to_dict(), "steps": setting.train_steps, "seeds": args.seeds,
                         "ridge": sweep.ridge},
            "wall_s": round(result.meta["wall_s"], 3), "mean": mean, "per_seed": per_seed,
            "seeds": [int(s) for s in result.coords["seed"]]}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        use_all_host_cores()
        if args.command == "bench":
            integer("configs", args.configs, 1)
            if args.steps is not None:
                integer("steps", args.steps, 1)
            if args.suite:
                check_writable("out", Path(args.out) / "bench.json")
        if args.command == "run":
            out = _run(args)
        elif args.command == "sweep":
            out = _sweep(args)
        elif args.command == "plot":
            check_writable("out", Path(args.out) if args.out else Path(args.path).with_suffix(".png"))
            out = {"png": str(plot(args.path, args.x, args.y, args.hue, args.out))}
        elif args.suite:
            out = bench.suite(steps=args.steps or 500, log=lambda m: print(m, file=sys.stderr))
            path = Path(args.out)
            (path / "figures").mkdir(parents=True, exist_ok=True)
            results.write_json(path / "bench.json", out)
            bench.plot_suite(out, path / "figures" / "bench.png")
        elif args.memory:
            out = bench.memory_sweep(steps=args.steps or 20)
        else:
            out = bench.bench(args.configs, args.steps or 1000)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
