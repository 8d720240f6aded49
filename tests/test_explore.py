"""python -m lamsim sweep and plot: any Setting field as an axis, results in the usual format."""
import chex
import numpy as np
import pytest

from lamsim import load
from lamsim.__main__ import main
from lamsim.explore import parse_vary


def test_vary_lists_and_ranges():
    assert parse_vary("d_z=2,4,8").values == (2, 4, 8)
    assert parse_vary("sigma=0:1:0.25").values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_vary("d_z=2:16:2").values == (2, 4, 6, 8, 10, 12, 14, 16)
    assert parse_vary("noise=iid,exo").values == ("iid", "exo")


@pytest.mark.parametrize("spec, words", [
    ("foo=1", "vary='foo' is invalid: must be a field of Setting"),
    ("d_z=1.5", "d_z='1.5' is invalid: must be an integer"),
    ("sigma=1:0:0.5", "sigma='1:0:0.5' is invalid: the range is empty"),
    ("sigma=0:1:0", "the range is empty"),
    ("sigma=", "sigma='' is invalid: no values"),
    ("d_z=2,2", "values repeat"),
    ("seed=1,2", "vary='seed' is invalid"),
    ("d_z", "must be FIELD=V1,V2,... or FIELD=START:STOP:STEP"),
])
def test_bad_vary_is_a_one_line_error(spec, words, tmp_path, capsys):
    assert main(["sweep", "--vary", spec, "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_bad_combination_fails_before_training(tmp_path, capsys):
    assert main(["sweep", "--vary", "d_z=4,200", "--out", str(tmp_path / "s")]) == 2
    assert "d_z=200 is invalid: must be <= d_o=128" in capsys.readouterr().err


@pytest.mark.slow
def test_sweep_writes_the_results_and_plot_draws_them(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["sweep", "--vary", "d_z=2,4,8", "--noise", "iid", "--sigma", "0.5", "--seeds", "2", "--steps", "300",
                 "--out", str(out)]) == 0
    r = load(tmp_path / "s.npz")
    assert r.dims == ("d_z", "seed") and list(r.coords["d_z"]) == [2, 4, 8]
    chex.assert_shape(r.arrays["llo"], (3, 2))
    assert r.meta["config"]["vary"] == ["d_z=2,4,8"]
    assert main(["plot", str(tmp_path / "s.npz"), "--x", "d_z", "--y", "llo"]) == 0
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", str(tmp_path / "s.npz"), "--x", "chi"]) == 2
    assert "x='chi' is invalid: must be one of the axes d_z" in capsys.readouterr().err


@pytest.mark.slow
def test_two_axes_and_a_curve(tmp_path):
    assert main(["sweep", "--vary", "chi=0,0.5", "--vary", "kappa=0,0.1", "--profile", "exact", "--steps", "60",
                 "--curve", "3", "--latent", "true", "--out", str(tmp_path / "c")]) == 0
    r = load(tmp_path / "c")
    assert r.dims == ("chi", "kappa", "step", "seed") and list(r.coords["step"]) == [20, 40, 60]
    assert np.all(np.isfinite(r.arrays["loss"]))
    assert main(["plot", str(tmp_path / "c.npz"), "--x", "step", "--y", "loss", "--hue", "chi"]) == 2  # kappa is wide
