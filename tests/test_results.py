"""Results files: the npz and its JSON side-car belong together."""
import shutil

import numpy as np
import pytest

from lamsim.__main__ import main as cli
from lamsim.errors import InputError
from lamsim.runtime import results


def test_a_side_car_of_other_arrays_is_refused_naming_both_files(tmp_path, capsys):
    """The side-car records the digest of its npz's arrays; a pair from two runs is refused in one
    line naming both files (InputError from the API, exit 2 from the CLI)."""
    coords = {"d_z": np.arange(3), "seed": np.arange(2)}
    a = results.save(tmp_path / "a", "r", {"llo": np.zeros((3, 2))}, ("d_z", "seed"), coords, {"run": "a"})
    b = results.save(tmp_path / "b", "r", {"llo": np.ones((3, 2))}, ("d_z", "seed"), coords, {"run": "b"})
    assert results.load(a).meta[results.DIGEST_KEY] == results.arrays_digest(
        {"llo": np.zeros((3, 2)), **coords, "dims": np.asarray(["d_z", "seed"])})
    shutil.copy(b.with_suffix(".json"), a.with_suffix(".json"))
    with pytest.raises(InputError, match=r"side-car .*a/r\.json does not describe .*a/r\.npz"):
        results.load(a)
    assert cli(["plot", str(a), "--x", "d_z", "--y", "llo"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not describe" in err
