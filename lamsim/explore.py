"""Sweeps beyond the paper's grid from the command line: ``lamsim sweep`` and ``lamsim plot``.

``--vary FIELD=V1,V2,...`` or ``--vary FIELD=START:STOP:STEP`` (STOP included
when the steps land on it) makes one sweep axis per flag, in order; the result
is written in the results format with dims (the varied fields..., seed), or
(the varied fields..., step, seed) when training curves are recorded.

``--vary noise=KIND[:SIGMA],...`` varies the noise kind together with its scale
(:func:`noise_axis`): ``noise=none,iid:0.5,exo:2`` is one axis named ``noise``
whose coordinates are those words.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np

from lamsim.errors import fail
from lamsim.linear.fields import BY_NAME, NOISE_KINDS
from lamsim.linear.sweep import MAX_SETTINGS, SWEPT_FIELDS, Axis
from lamsim.runtime.results import atomic_write, load

#: The numerical optimum drawn beside a metric where the theory is NaN and the results hold it.
OPTIMUM = {"llo": "optimum_llo", "loss": "optimum_loss"}
#: Theory drawn beside a metric, where the results hold it.
THEORY = {"llo": "theory_llo", "nmse_action": "theory_nmse_action", "nmse_noise": "theory_nmse_noise",
          "nmse_obs": "theory_nmse_obs", "loss": "pca_floor"}


def _field_type(name: str):
    """The type a Setting field's values are parsed as: bool, int, float or str (its annotation)."""
    if name not in SWEPT_FIELDS:
        fail("vary", name, f"must be a field of Setting ({', '.join(SWEPT_FIELDS)})")
    return BY_NAME[name].kind

#: How ``--vary`` spells the values of a bool field.
BOOLS = {"true": True, "false": False}


def _convert(name: str, kind, text: str):
    if kind is bool:
        if text.lower() not in BOOLS:
            fail(name, text, "must be true or false")
        return BOOLS[text.lower()]
    if kind is str:
        return text
    try:
        value = float(text)
        if kind is float:
            return value
        if not value.is_integer():
            raise ValueError
        return int(value)
    except (OverflowError, ValueError):
        fail(name, text, f"must be {'an integer' if kind is int else 'a number'}")


def noise_axis(text: str) -> Axis:
    """The axis of ``--vary noise=TEXT``: TEXT is ``KIND[:SIGMA],...``, KIND one of
    :data:`~lamsim.linear.fields.NOISE_KINDS`.

    Each value sets ``noise`` and, where given, ``sigma`` (``none`` sets sigma 0; a kind without a
    scale keeps the base setting's ``--sigma``). The coordinates are the words as written, SIGMA
    normalised (``exo:2.0`` -> ``exo:2``). Raises :class:`~lamsim.errors.InputError` naming the
    value: an unknown kind, a scale that is not a number >= 0, a scale on ``none``, no value, a
    repeated value."""
    words, overrides = [], []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        kind, _, scale = word.partition(":")
        if kind not in NOISE_KINDS:
            fail("noise", word, f"must be KIND or KIND:SIGMA with KIND one of {', '.join(NOISE_KINDS)}")
        if kind == "none":
            if scale:
                fail("noise", word, "'none' takes no scale")
            words.append("none")
            overrides.append({"noise": "none", "sigma": 0.0})
            continue
        override = {"noise": kind}
        if scale:
            sigma = _convert("noise", float, scale)
            if not (math.isfinite(sigma) and sigma >= 0):
                fail("noise", word, "SIGMA must be a finite number >= 0")
            override["sigma"] = sigma
            word = f"{kind}:{sigma:g}"
        words.append(word)
        overrides.append(override)
    if not words:
        fail("noise", text, "no values")
    if len(set(words)) != len(words):
        fail("noise", text, "values repeat")
    return Axis("noise", tuple(words), tuple(overrides))


def parse_vary(spec: str) -> Axis:
    """``FIELD=V1,V2,...`` or ``FIELD=START:STOP:STEP`` -> an :class:`Axis`
    (``noise=KIND[:SIGMA],...``: :func:`noise_axis`).

    Raises :class:`~lamsim.errors.InputError` naming the field and the value for an
    unknown field, a value of the wrong type, a zero or wrong-signed step, a range
    longer than a sweep may be, or an empty or repeating list."""
    if "=" not in spec:
        fail("vary", spec, "must be FIELD=V1,V2,... or FIELD=START:STOP:STEP")
    name, text = (part.strip() for part in spec.split("=", 1))
    if name == "noise":
        return noise_axis(text)
    kind = _field_type(name)
    if ":" in text:
        if kind in (str, bool):
            fail(name, text, "a range needs a numeric field")
        parts = text.split(":")
        if len(parts) != 3:
            fail(name, text, "a range is START:STOP:STEP")
        start, stop, step = (_convert(name, float, p) for p in parts)
        if step == 0 or (stop - start) * step < 0 or not all(map(math.isfinite, (start, stop, step))):
            fail(name, text, "the range is empty (STEP must be non-zero and point from START to STOP, all finite)")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        if count > MAX_SETTINGS:
            fail(name, text, f"the range holds {count:,} values, more than a sweep may hold ({MAX_SETTINGS:,})")
        values = [start + i * step for i in range(count)]
        values = [int(round(v)) if kind is int else round(v, 12) for v in values]
    else:
        values = [_convert(name, kind, v.strip()) for v in text.split(",") if v.strip()]
    if not values:
        fail(name, text, "no values")
    if len(set(values)) != len(values):
        fail(name, text, "values repeat")
    return Axis.of(name, values)


def _seed_mean(runs: np.ndarray) -> np.ndarray:
    """Mean over the last axis (seeds) of the finite values; NaN where there are none."""
    finite = np.isfinite(runs)
    count = finite.sum(-1)
    return np.where(count > 0, np.where(finite, runs, 0.0).sum(-1) / np.maximum(count, 1), np.nan)


def plot(path, x: str, y: str, hue: Optional[str] = None, out=None) -> Path:
    """Draw ``y`` against ``x`` (one line per ``hue`` value): the mean over
    seeds, a min-max band, and the theory dashed where defined; where it is NaN
    and the results hold the numerical optimum (``Sweep(optimum=True)``), the
    optimum dashed, marked x. ``x`` and ``hue``
    may be any axis but the seed: numbers are drawn as numbers, strings and
    booleans as evenly spaced categories. Every other axis must have one value.
    Writes ``out`` (default: PATH with ``.png``); a bad choice raises
    :class:`~lamsim.errors.InputError` naming what is available, before anything is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = load(path)
    if "seed" not in r.dims:
        fail("path", str(path), f"must hold a sweep, with a seed axis (its axes: {', '.join(r.dims)})")
    if y not in r.arrays:
        fail("y", y, f"must be one of the arrays {', '.join(sorted(r.arrays))}")
    axes = [d for d in r.dims if d != "seed"]
    for name, what in ((x, "x"), (hue, "hue")):
        if (name is not None or what == "x") and name not in axes:
            fail(what, name, f"must be one of the axes {', '.join(axes)}")
    if x == hue:
        fail("hue", hue, "must differ from x")
    others = [d for d in r.dims if d not in (x, hue, "seed")]
    wide = [d for d in others if len(r.coords[d]) > 1]
    if wide:
        fail("hue", hue, f"axis {wide[0]!r} has {len(r.coords[wide[0]])} values and is neither x nor hue: put it "
                         "on hue (one line per value), or plot results where it has one value")
    order = [x] + ([hue] if hue else []) + ["seed"]

    ds = r.to_xarray().isel({d: 0 for d in others})

    def arranged(metric):
        return ds[metric].transpose(*order).values

    values = arranged(y)
    # The theory's seed mean, and where it is undefined the numerical optimum's (flagged).
    nan = np.full(values.shape[:-1], np.nan)
    theory = _seed_mean(arranged(THEORY[y])) if THEORY.get(y) in r.arrays else nan
    optimum = _seed_mean(arranged(OPTIMUM[y])) if OPTIMUM.get(y) in r.arrays else nan
    from_optimum = np.isnan(theory) & np.isfinite(optimum)
    reference = np.where(from_optimum, optimum, theory)
    categories = r.coords[x].dtype.kind in "USOb"
    xs = np.arange(len(r.coords[x])) if categories else np.asarray(r.coords[x], float)
    hues = list(r.coords[hue]) if hue else [None]
    fig, ax = plt.subplots(figsize=(6, 4))
    colours = plt.get_cmap("viridis")(np.linspace(0.05, 0.9, len(hues)))
    for i, (h, c) in enumerate(zip(hues, colours)):
        runs = values[:, i] if hue else values
        line, = ax.plot(xs, np.nanmean(runs, -1), marker="o", ms=3, color=c, label=None if h is None else f"{hue}={h}")
        ax.fill_between(xs, np.nanmin(runs, -1), np.nanmax(runs, -1), color=c, alpha=0.2, lw=0)
        ref, flagged = (reference[:, i], from_optimum[:, i]) if hue else (reference, from_optimum)
        if np.any(np.isfinite(ref)):
            ax.plot(xs, ref, ls="--", lw=1.2, color=c)
            ax.plot(xs[flagged], ref[flagged], ls="none", marker="x", ms=5, color=c)
    note = "; x: numerical optimum where the theory is NaN" if from_optimum.any() else ""
    ax.set(xlabel=x, ylabel=y, title=f"{y} vs {x} ({values.shape[-1]} seeds; band min-max; dashed theory{note})")
    if categories:
        ax.set_xticks(xs, [str(v) for v in r.coords[x]])
    if hue:
        ax.legend(fontsize=8)
    out = Path(out) if out else Path(path).with_suffix(".png")
    atomic_write(out, lambda f: fig.savefig(f, format="png", dpi=120, bbox_inches="tight"))
    plt.close(fig)
    return out
