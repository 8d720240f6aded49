"""The one place that touches files: results as ``NAME.npz`` + ``NAME.json``.

The npz holds named arrays shaped by the sweep axes (``seed`` last), a string
array ``dims`` naming those axes in order, and one coordinate array per axis.
The JSON side-car holds the exact config, profile, package versions, device and
wall time, and the SHA-256 digest of the arrays it describes (``arrays_sha256``:
:func:`arrays_digest`), so that :func:`load` refuses a side-car that belongs to
other arrays. Both are written to temporary names and renamed, so an interrupted
run never leaves a half-written file under the final name.

:meth:`Results.to_xarray` gives the same arrays as an ``xarray.Dataset`` (imported only
there: reading and writing the files needs numpy alone).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import numpy as np

from lamsim.errors import InputError, fail


class ResultsError(InputError):
    """A results file is missing, corrupt or not what the caller expects (one line naming the file)."""


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


class Results(NamedTuple):
    """A sweep's arrays, in memory or loaded from disk.

    ``arrays``: metric -> ndarray shaped [len(coords[d]) for d in dims];
    ``dims``: axis names, ``seed`` last; ``coords``: axis name -> coordinate
    values; ``meta``: the JSON side-car (config, wall time, devices, ...).
    """

    arrays: dict
    dims: tuple
    coords: dict
    meta: dict

    def to_xarray(self):
        """These results as an ``xarray.Dataset``: one data variable per array over ``dims``
        (``seed`` last), one coordinate per axis (numbers or strings, as stored), and the side-car
        in ``attrs`` as loaded (config, environment, wall time, ...: nested dicts). E.g.
        ``lamsim.load("results/fig4_right").to_xarray().llo.sel(d_z=8).mean("seed")``.
        :meth:`from_xarray` gives these Results back."""
        import xarray as xr

        return xr.Dataset({k: (self.dims, np.asarray(v)) for k, v in self.arrays.items()},
                          coords={d: np.asarray(self.coords[d]) for d in self.dims}, attrs=dict(self.meta))

    @staticmethod
    def from_xarray(ds) -> "Results":
        """Results from an ``xarray.Dataset`` whose data variables all share its dims (as
        :meth:`to_xarray` makes them); raises :class:`ResultsError` naming a variable that does
        not, or a dimension without a coordinate."""
        dims = tuple(str(d) for d in ds.dims)
        if ds.data_vars:
            dims = tuple(str(d) for d in next(iter(ds.data_vars.values())).dims)
        for name, var in ds.data_vars.items():
            if tuple(var.dims) != dims:
                raise ResultsError(f"data variable {name!r} has dims {tuple(var.dims)}, expected {dims}")
        missing = [d for d in dims if d not in ds.coords]
        if missing:
            raise ResultsError(f"dimensions {missing} have no coordinate")
        return Results({str(k): np.asarray(v.values) for k, v in ds.data_vars.items()}, dims,
                       {d: np.asarray(ds.coords[d].values) for d in dims}, dict(ds.attrs))


def environment_info() -> dict:
    """Package versions, Python, platform and JAX devices, for the side-car."""
    versions = {}
    for pkg in ("jax", "jaxlib", "optax", "flax", "chex", "numpy", "matplotlib", "xarray"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    import jax

    return {
        "versions": versions, "python": platform.python_version(), "platform": platform.platform(),
        "backend": jax.default_backend(), "devices": [str(d) for d in jax.devices()],
        "device_kind": jax.devices()[0].device_kind, "processes": jax.process_count(),
    }


def atomic_write(path: Path, write) -> None:
    """Call ``write(f)`` on a fresh temporary file beside ``path``, then rename
    it to ``path``; on any error the temporary file is removed. The file is
    created with mode 0666 less the umask, as ``open()`` would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_writable(field: str, path, folder: bool = False) -> None:
    """Refuse (:class:`~lamsim.errors.InputError` naming ``field``) an output file ``path`` (with
    ``folder``, an output folder) that could not be made and written: a command checks this
    before it computes anything."""
    path = Path(path)
    if not folder and not path.name:
        fail(field, str(path), "must name a file")
    start = path if folder else path.parent
    existing = next(p for p in (start, *start.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        fail(field, str(path), f"{existing} is not a folder this process may write to")


#: The side-car's key for :func:`arrays_digest` of its npz.
DIGEST_KEY = "arrays_sha256"


def arrays_digest(payload: dict) -> str:
    """SHA-256 (hex) of an npz's arrays: every name, in sorted order, with its dtype, shape and
    bytes (C order), so that two npz files with the same arrays have the same digest."""
    h = hashlib.sha256()
    for key in sorted(payload):
        value = np.ascontiguousarray(payload[key])
        h.update(f"{key}\0{value.dtype.str}\0{value.shape}\0".encode())
        h.update(value.tobytes())
    return h.hexdigest()


def save(out_dir, name: str, arrays: dict, dims, coords: dict, meta: dict) -> Path:
    """Write ``out_dir/name.npz`` and ``out_dir/name.json``; returns the npz path.

    arrays: metric -> ndarray shaped [len(coords[d]) for d in dims];
    coords: axis name -> 1-D array; meta: JSON-serialisable side-car content.
    """
    out_dir = Path(out_dir)
    dims = tuple(dims)
    expected = tuple(len(coords[d]) for d in dims)
    for key, value in arrays.items():
        if np.shape(value) != expected:
            raise ResultsError(f"array {key!r} has shape {np.shape(value)}, expected {expected} for dims {dims}")
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload.update({d: np.asarray(coords[d]) for d in dims})
    payload["dims"] = np.asarray(dims, dtype=str)
    npz, side = out_dir / f"{name}.npz", out_dir / f"{name}.json"
    # Side-car last: a results pair is complete only when its JSON exists.
    atomic_write(npz, lambda f: np.savez(f, **payload))
    write_json(side, {**meta, DIGEST_KEY: arrays_digest(payload)})
    return npz


def write_json(path, content: dict) -> Path:
    """Write ``content`` as JSON to ``path`` atomically."""
    path = Path(path)
    atomic_write(path, lambda f: f.write(json.dumps(content, indent=2, sort_keys=True,
                                                     default=json_default).encode()))
    return path


def json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (set, tuple)):
        return list(x)
    raise TypeError(f"not JSON-serialisable: {type(x).__name__}")


def load(path, required=()) -> Results:
    """Load a results pair from ``path`` (``X.npz``, ``X.json`` or ``X``) and check it.

    Raises :class:`ResultsError` naming what is wrong: a missing file, an
    unreadable archive or side-car, a side-car whose digest is not that of the
    npz's arrays (naming both files; a side-car without a digest, written before
    lamsim recorded one, is read unchecked), no ``dims``, a missing or not 1-D coordinate,
    an array whose shape disagrees with the coordinates, or a ``required`` array
    absent; :class:`~lamsim.errors.InputError` for a ``path`` that is not a path or
    ``required`` that is not a sequence of names.
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        fail("path", path, "must be a results path (X.npz, X.json or X)")
    if not isinstance(required, (tuple, list)) or not all(isinstance(r, str) for r in required):
        fail("required", required, "must be a sequence of array names, e.g. ('llo',)")
    base = Path(path)
    if base.suffix in (".npz", ".json"):
        base = base.with_suffix("")
    npz, side = base.with_suffix(".npz"), base.with_suffix(".json")
    for f in (npz, side):
        if not f.exists():
            raise ResultsError(f"results file {f} does not exist (run the experiment first)")
    try:
        with np.load(npz, allow_pickle=False) as z:
            content = {k: z[k] for k in z.files}
    except Exception as e:  # zipfile, pickle and value errors all mean corrupt
        raise ResultsError(f"results file {npz} is corrupt or not an npz archive: {_one_line(e)}") from e
    try:
        meta = json.loads(side.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ResultsError(f"side-car {side} is corrupt or not JSON: {_one_line(e)}") from e
    if not isinstance(meta, dict):
        raise ResultsError(f"side-car {side} is corrupt: it holds a {type(meta).__name__}, not a JSON object")
    if DIGEST_KEY in meta and meta[DIGEST_KEY] != arrays_digest(content):
        raise ResultsError(f"side-car {side} does not describe {npz}: its {DIGEST_KEY} is not the digest of those "
                           f"arrays (a pair from two different runs)")
    if "dims" not in content:
        raise ResultsError(f"results file {npz} has no 'dims' array naming its axes")
    names = content.pop("dims")
    if names.ndim != 1:
        raise ResultsError(f"results file {npz}: 'dims' has shape {names.shape}, expected a 1-D array of axis names")
    dims = tuple(str(d) for d in names)
    coords = {}
    for d in dims:
        if d not in content:
            raise ResultsError(f"results file {npz} names axis {d!r} in dims but has no coordinate array {d!r}")
        coords[d] = content.pop(d)
        if coords[d].ndim != 1:
            raise ResultsError(f"results file {npz}: coordinate {d!r} has shape {coords[d].shape}, expected 1-D")
    expected = tuple(len(coords[d]) for d in dims)
    for key, value in content.items():
        if value.shape != expected:
            raise ResultsError(f"results file {npz}: array {key!r} has shape {value.shape}, "
                               f"expected {expected} from dims {dims}")
    missing = [k for k in required if k not in content]
    if missing:
        raise ResultsError(f"results file {npz} lacks arrays {missing}")
    return Results(content, dims, coords, meta)


def select(loaded: Results, metric: str, **where) -> tuple:
    """``metric`` taken at the coordinate values ``where`` (e.g. ``d_z=8``).

    Returns (array over the remaining axes, their names in order). Numeric
    coordinates match within floating-point tolerance, strings exactly; an
    unknown array, axis or value raises :class:`ResultsError` naming it.
    """
    if metric not in loaded.arrays:
        raise ResultsError(f"results lack the array {metric!r}")
    arr, dims = loaded.arrays[metric], list(loaded.dims)
    for axis, value in where.items():
        if axis not in dims:
            raise ResultsError(f"results have no axis {axis!r} (axes {loaded.dims})")
        coords = loaded.coords[axis]
        match = coords == value if coords.dtype.kind in "USO" else np.isclose(coords.astype(float), value)
        found = np.flatnonzero(match)
        if found.size != 1:
            raise ResultsError(f"{axis}={value!r} is not a coordinate of the results (have {list(coords)})")
        arr = np.take(arr, found[0], axis=dims.index(axis))
        dims.remove(axis)
    return arr, dims
