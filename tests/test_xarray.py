"""Results as labelled arrays: ``lamsim.load(p).to_xarray()`` and back, for every published result;
the npz format stays readable without xarray."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lamsim import Results, ResultsError, load, save
from lamsim.runtime.results import select

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = sorted((ROOT / "results").glob("*.npz")) + sorted((ROOT / "results" / "paper").glob("*.npz"))


def _same(a: Results, b: Results):
    assert a.dims == b.dims
    for d in a.dims:
        np.testing.assert_array_equal(a.coords[d], b.coords[d])
        assert a.coords[d].dtype == b.coords[d].dtype, d
    assert set(a.arrays) == set(b.arrays)
    for k in a.arrays:
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
        assert a.arrays[k].dtype == b.arrays[k].dtype, k
    assert a.meta == b.meta


@pytest.mark.skipif(not PUBLISHED, reason="no published results in results/")
@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: str(p.relative_to(ROOT / "results")))
def test_every_published_result_round_trips(path):
    """Dims, coordinates (numbers and strings, such as Table 1's settings), every array and the
    side-car survive Results -> Dataset -> Results exactly; the Dataset's dims are the file's."""
    loaded = load(path)
    ds = loaded.to_xarray()
    assert tuple(ds.dims) == loaded.dims
    assert set(ds.data_vars) == set(loaded.arrays) and ds.attrs == loaded.meta
    _same(Results.from_xarray(ds), loaded)


def test_selection_is_the_hand_written_one(tmp_path):
    """``ds.llo.sel(d_z=8).mean("seed")`` gives what :func:`select` and a mean give, strings included."""
    rng = np.random.default_rng(0)
    coords = {"d_z": np.asarray([4, 8]), "noise": np.asarray(["none", "exo:2"]), "seed": np.arange(3)}
    arrays = {"llo": rng.standard_normal((2, 2, 3)), "loss": rng.standard_normal((2, 2, 3))}
    save(tmp_path, "r", arrays, ("d_z", "noise", "seed"), coords, {"config": {"profile": "exact"}})
    loaded = load(tmp_path / "r")
    ds = loaded.to_xarray()
    by_hand, dims = select(loaded, "llo", d_z=8)
    assert dims == ["noise", "seed"]
    np.testing.assert_array_equal(ds.llo.sel(d_z=8).mean("seed").values, by_hand.mean(-1))
    np.testing.assert_array_equal(ds.loss.sel(noise="exo:2", d_z=4).values, select(loaded, "loss", noise="exo:2",
                                                                                   d_z=4)[0])
    assert ds.attrs["config"]["profile"] == "exact"


def test_from_xarray_refuses_variables_over_other_dims():
    import xarray as xr

    ds = xr.Dataset({"llo": (("a", "seed"), np.zeros((2, 1))), "other": (("seed",), np.zeros(1))},
                    coords={"a": [0, 1], "seed": [0]})
    with pytest.raises(ResultsError, match="'other' has dims"):
        Results.from_xarray(ds)


def test_results_load_without_xarray(tmp_path):
    """The file format needs numpy only: with xarray unimportable, load works and only
    to_xarray fails (ImportError)."""
    save(tmp_path, "r", {"llo": np.ones((2, 1))}, ("d_z", "seed"), {"d_z": np.asarray([1, 2]), "seed": np.zeros(1)}, {})
    code = (f"import sys; sys.modules['xarray'] = None\n"
            f"import lamsim\nr = lamsim.load({str(tmp_path / 'r')!r})\nassert r.arrays['llo'].shape == (2, 1)\n"
            f"try:\n    r.to_xarray()\nexcept ImportError:\n    print('no xarray')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "no xarray"
