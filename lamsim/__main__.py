"""Command line: ``python -m lamsim run|bench``. Results go to stdout as JSON;
progress and logs to stderr."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from lamsim.runtime.devices import use_all_host_cores


def _finite_or_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lamsim", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="train and evaluate one setting over seeds; prints JSON")
    run.add_argument("--d-o", type=int, default=128)
    run.add_argument("--d-a", type=int, default=8)
    run.add_argument("--d-z", type=int, default=8)
    run.add_argument("--d-b", type=int, default=8)
    run.add_argument("--noise", default="none", help="none | iid | exo")
    run.add_argument("--sigma", type=float, default=0.0, help="noise scale of the chosen kind")
    run.add_argument("--chi", type=float, default=0.0, help="policy determinism in [0, 1]")
    run.add_argument("--kappa", type=float, default=0.0, help="augmentation strength |kappa|")
    run.add_argument("--label-rate", type=float, default=0.0, help="share of labelled samples in [0, 1]")
    run.add_argument("--latent", default="surrogate", help="true | surrogate")
    run.add_argument("--profile", default="fast", help="fast | faithful")
    run.add_argument("--steps", type=int, default=None, help="Adam steps (default: the profile's)")
    run.add_argument("--seeds", type=int, default=1, help="how many seeds")
    run.add_argument("--seed", type=int, default=0, help="first seed")
    run.add_argument("--ridge", type=float, default=None, help="probe ridge delta (default 1e-4; 0 allowed)")
    run.add_argument("--probe", default="interventional",
                     help="interventional | policy-fit (probes fitted on the training policy's data, "
                          "scored on intervened actions)")
    run.add_argument("--action-target", default="action",
                     help="action | subspace (the action probe predicts a + X^T eps)")
    bench = sub.add_parser("bench", help="training throughput of the vmapped trainer; prints JSON")
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
    from lamsim.linear.evaluate import DEFAULT_RIDGE
    from lamsim.linear.settings import Setting
    from lamsim.runtime.sweep import METRICS, Sweep, run_sweep

    setting = Setting(d_o=args.d_o, d_a=args.d_a, d_z=args.d_z, d_b=args.d_b, noise=args.noise, sigma=args.sigma,
                      chi=args.chi, kappa=args.kappa, label_rate=args.label_rate, latent=args.latent,
                      profile=args.profile, steps=args.steps, seed=args.seed, probe=args.probe,
                      action_target=args.action_target)
    sweep = Sweep("run", setting, seeds=args.seeds, first_seed=args.seed,
                  ridge=DEFAULT_RIDGE if args.ridge is None else args.ridge)
    result = run_sweep(sweep)
    import numpy as np

    keys = [m for m in METRICS if not m.startswith("theory_nmse") and m != "llo_ridge0"]
    mean = {m: _finite_or_none(np.mean(result.arrays[m])) for m in keys}
    per_seed = {m: [_finite_or_none(v) for v in result.arrays[m]] for m in keys}
    return {"settings": {**setting.to_dict(), "steps": setting.train_steps, "seeds": args.seeds,
                         "ridge": sweep.ridge},
            "wall_s": round(result.meta["wall_s"], 3), "mean": mean, "per_seed": per_seed,
            "seeds": [int(s) for s in result.coords["seed"]]}


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    use_all_host_cores()
    try:
        if args.command == "run":
            out = _run(args)
        elif args.suite:
            from lamsim import bench
            from lamsim.runtime import results

            out = bench.suite(steps=args.steps or 500, log=lambda m: print(m, file=sys.stderr))
            path = Path(args.out)
            (path / "figures").mkdir(parents=True, exist_ok=True)
            results.write_json(path / "bench.json", out)
            bench.plot_suite(out, path / "figures" / "bench.png")
        elif args.memory:
            from lamsim.bench import memory_sweep

            out = memory_sweep(steps=args.steps or 20)
        else:
            from lamsim.bench import bench

            out = bench(args.configs, args.steps or 1000)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
