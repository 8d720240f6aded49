"""The one error type for bad input, and the checks that turn a field's value into a plain number.

Every entry point (``Setting``, ``Axis``, ``Sweep``, ``run_sweep``, ``load``, the grid world's
``Config`` and ``GridSetting``, and both command lines) refuses bad input with
:class:`InputError`: one line naming the field, the value and what is allowed. The command
lines print it as ``error: ...`` and exit with status 2. It is a ``ValueError``, so code that
catches ``ValueError`` keeps working.
"""
from __future__ import annotations

import math
import numbers

#: Seeds become ``jax.random.key`` values, 32-bit integers: every seed of a run lies in [0, SEED_LIMIT).
SEED_LIMIT = 2 ** 31
#: What a seed count must be, as an error message says it.
SEEDS_ALLOWED = "must be an integer in [1, 2**31] (seeds 0, 1, ... become 32-bit jax.random keys)"
#: Step counters (a ``lax.scan`` segment's start, ``fold_in`` data) are int32: step counts stay below this.
STEP_LIMIT = 2 ** 31


class InputError(ValueError):
    """Bad input: ``field=value is invalid: what is allowed``, on one line."""


def fail(field: str, value, allowed: str):
    """Raise :class:`InputError` naming ``field``, ``value`` and what is ``allowed``."""
    raise InputError(f"{field}={value!r} is invalid: {allowed}")


def plain(value):
    """A numpy scalar or 0-d array (numpy or JAX) as the Python value it holds; anything else unchanged."""
    if type(value) not in (bool, int, float, str) and getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    return value


def integer(field: str, value, low: int, high: int = None, allowed: str = None) -> int:
    """``value`` as a Python int in [low, high] (``high`` None: no upper bound).

    Python and numpy integers and 0-d integer arrays are accepted; bool, floats and
    anything else fail with ``allowed`` (default: the range)."""
    value = plain(value)
    if allowed is None:
        allowed = f"must be an integer >= {low}" if high is None else f"must be an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low \
            or (high is not None and value > high):
        fail(field, value, allowed)
    return int(value)


def positive(field: str, value, unit: str = None) -> float:
    """``value`` as a finite Python float > 0 (numbers as :func:`real` takes them); the message
    names ``unit`` where given."""
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value > 0):
        fail(field, value, "must be a finite number > 0" + (f" ({unit})" if unit else ""))
    return float(value)


def real(field: str, value) -> float:
    """``value`` as a finite Python float: Python and numpy numbers and 0-d arrays, not bool."""
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        fail(field, value, "must be a finite number")
    return float(value)


def guarded(run, *args) -> int:
    """The command lines' one error guard: ``run(*args)``'s exit status (0 where it returns None or
    a non-int); bad input (a ``ValueError``, :class:`InputError` included) or a file that cannot be
    read or written (``OSError``) ends in one line ``error: ...`` on stderr and status 2."""
    import sys

    try:
        status = run(*args)
    except (ValueError, OSError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    return status if isinstance(status, int) else 0
