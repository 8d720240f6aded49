"""Sweeps beyond the paper's grid from the command line: ``lamsim sweep`` and ``lamsim plot``.

``--vary FIELD=V1,V2,...`` or ``--vary FIELD=START:STOP:STEP`` (STOP included
when the steps land on it) makes one sweep axis per flag, in order; the result
is written in the results format with dims (the varied fields..., seed), or
(the varied fields..., step, seed) when training curves are recorded.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lamsim.linear.settings import Setting
from lamsim.runtime.sweep import Axis

#: Theory drawn beside a metric, where the results hold it.
THEORY = {"llo": "theory_llo", "nmse_action": "theory_nmse_action", "nmse_noise": "theory_nmse_noise",
          "nmse_obs": "theory_nmse_obs", "loss": "pca_floor"}


def _field_type(name: str):
    fields = {f.name: f for f in dataclasses.fields(Setting)}
    if name not in fields or name == "seed":
        allowed = ", ".join(f for f in fields if f != "seed")
        raise ValueError(f"vary={name!r} is invalid: must be a field of Setting ({allowed})")
    default = fields[name].default
    if name == "steps":
        return int
    return type(default)


def _convert(name: str, kind, text: str):
    try:
        if kind is int:
            value = float(text)
            if not value.is_integer():
                raise ValueError
            return int(value)
        return kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is invalid: must be {'an integer' if kind is int else 'a number'}") from None


def parse_vary(spec: str) -> Axis:
    """``FIELD=V1,V2,...`` or ``FIELD=START:STOP:STEP`` -> an :class:`Axis`.

    Raises ``ValueError`` naming the field and the value for an unknown field,
    a value of the wrong type, a zero or wrong-signed step, or an empty list."""
    if "=" not in spec:
        raise ValueError(f"vary={spec!r} is invalid: must be FIELD=V1,V2,... or FIELD=START:STOP:STEP")
    name, text = (part.strip() for part in spec.split("=", 1))
    kind = _field_type(name)
    if ":" in text:
        if kind is str:
            raise ValueError(f"{name}={text!r} is invalid: a range needs a numeric field")
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"{name}={text!r} is invalid: a range is START:STOP:STEP")
        start, stop, step = (_convert(name, float, p) for p in parts)
        if step == 0 or (stop - start) * step < 0:
            raise ValueError(f"{name}={text!r} is invalid: the range is empty (STEP must be non-zero and point "
                             "from START to STOP)")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = [start + i * step for i in range(count)]
        values = [int(round(v)) if kind is int else round(v, 12) for v in values]
    else:
        values = [_convert(name, kind, v.strip()) for v in text.split(",") if v.strip()]
    if not values:
        raise ValueError(f"{name}={text!r} is invalid: no values")
    if len(set(values)) != len(values):
        raise ValueError(f"{name}={text!r} is invalid: values repeat")
    return Axis.of(name, values)


def check_axes(base: Setting, axes: Sequence[Axis]) -> None:
    """Build every setting of the grid once, so a bad combination fails before training."""
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise ValueError(f"vary={names!r} is invalid: each field may be varied once")
    for axis in axes:
        for override in axis.overrides:
            base.replace(**override)


def plot(path, x: str, y: str, hue: Optional[str] = None, out=None) -> Path:
    """Draw ``y`` against ``x`` (one line per ``hue`` value): the mean over
    seeds, a min-max band, and the theory dashed where defined. Every other
    axis must have one value. Writes ``out`` (default: PATH with ``.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lamsim.runtime.results import atomic_write, load, select

    r = load(path, required=(y,))
    for name, what in ((x, "x"), (hue, "hue")):
        if name is not None and name not in r.dims:
            raise ValueError(f"{what}={name!r} is invalid: must be one of the axes {', '.join(r.dims[:-1])}")
    if x == hue:
        raise ValueError(f"hue={hue!r} is invalid: must differ from x")
    others = [d for d in r.dims if d not in (x, hue, "seed")]
    wide = [d for d in others if len(r.coords[d]) > 1]
    if wide:
        raise ValueError(f"axis {wide[0]!r} has {len(r.coords[wide[0]])} values: use it as --hue, or sweep one value")
    order = [x] + ([hue] if hue else []) + ["seed"]

    def arranged(metric):
        arr, dims = select(r, metric, **{d: r.coords[d][0] for d in others})
        return np.transpose(arr, [dims.index(d) for d in order])

    values = arranged(y)
    theory = arranged(THEORY[y]) if THEORY.get(y) in r.arrays else None
    xs = np.asarray(r.coords[x], float)
    hues = list(r.coords[hue]) if hue else [None]
    fig, ax = plt.subplots(figsize=(6, 4))
    colours = plt.get_cmap("viridis")(np.linspace(0.05, 0.9, len(hues)))
    for i, (h, c) in enumerate(zip(hues, colours)):
        runs = values[:, i] if hue else values
        line, = ax.plot(xs, np.nanmean(runs, -1), marker="o", ms=3, color=c, label=None if h is None else f"{hue}={h}")
        ax.fill_between(xs, np.nanmin(runs, -1), np.nanmax(runs, -1), color=c, alpha=0.2, lw=0)
        if theory is not None:
            th = theory[:, i] if hue else theory
            if np.any(np.isfinite(th)):
                ax.plot(xs, np.nanmean(th, -1), ls="--", lw=1.2, color=c)
    ax.set(xlabel=x, ylabel=y, title=f"{y} vs {x} ({values.shape[-1]} seeds; band min-max; dashed theory)")
    if hue:
        ax.legend(fontsize=8)
    out = Path(out) if out else Path(path).with_suffix(".png")
    atomic_write(out, lambda f: fig.savefig(f, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)
    return out
