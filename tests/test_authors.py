"""The authors' figure values (experiments/authors.py, experiments/data/authors_figures.csv)."""
import numpy as np
import pytest

from experiments import PANELS as EXPERIMENT_PANELS
from experiments import authors
from lamsim.runtime.results import Results
from reports import agreement

GRIDS = {
    "fig3_left": {"d_a": list(range(2, 17, 2)), "d_z": list(range(1, 17))},
    "fig3_middle": {"sigma": [round(0.1 * i, 1) for i in range(16)], "d_z": list(range(4, 17, 2))},
    "fig3_right": {"sigma": [0.5, 2.0], "d_z": list(range(2, 17))},
    "fig4_left": {"chi": [round(0.1 * i, 1) for i in range(11)], "d_z": list(range(2, 17))},
    "fig4_middle": {"kappa": [0.0, 0.01, 0.1], "sigma": [0.0, 0.1, 0.5, 1.0], "d_z": list(range(2, 17))},
    "fig4_right": {"sigma": [0.5, 1.0, 2.0], "d_z": list(range(2, 17)), "label_rate": [0.0, 0.01]},
}
POINTS = {"fig3_left": 128, "fig3_middle": 112, "fig3_right": 30, "fig4_left": 165, "fig4_middle": 180,
          "fig4_right": 90}


def with_seed_axis(res: Results, seeds: int = 1) -> Results:
    arrays = {k: np.repeat(v[..., None], seeds, axis=-1) for k, v in res.arrays.items()}
    coords = dict(res.coords, seed=np.arange(seeds))
    return Results(arrays, res.dims + ("seed",), coords, {})


def test_panels_follow_the_experiments():
    assert authors.PANELS == EXPERIMENT_PANELS
    assert set(authors.DIMS) == set(authors.PANELS)


@pytest.mark.parametrize("panel", authors.PANELS)
def test_grid_shapes_and_coordinates(panel):
    res = authors.load(panel)
    assert res.dims == authors.DIMS[panel] and "seed" not in res.dims
    grid = GRIDS[panel]
    assert tuple(grid) == res.dims
    for axis, values in grid.items():
        kind = "i" if axis in ("d_a", "d_z") else "f"
        assert res.coords[axis].dtype.kind == kind, axis
        np.testing.assert_allclose(res.coords[axis], values)
    shape = tuple(len(v) for v in grid.values())
    assert set(res.arrays) == set(authors.METRICS)
    for arr in res.arrays.values():
        assert arr.shape == shape
    assert int((~np.isnan(res.arrays["llo"])).sum()) == POINTS[panel]
    assert res.meta["commit"] == authors.COMMIT and res.meta["csv"].startswith("scripts/")


def test_every_grid_is_complete():
    # fig3_left is 8 x 16 with every point present; so, as it happens, is every other panel.
    for panel in authors.PANELS:
        res = authors.load(panel)
        for name in ("llo", "nmse_action", "nmse_obs", "nmse_noise"):
            assert not np.isnan(res.arrays[name]).any(), (panel, name)


@pytest.mark.parametrize("panel", authors.PANELS)
def test_llo_is_the_sum_of_its_terms(panel):
    res = authors.load(panel)
    a = res.arrays
    total = -a["nmse_action"] + a["nmse_obs"] + a["nmse_noise"]
    if panel == "fig4_right":
        total = np.minimum(total, 2.0)
    np.testing.assert_allclose(a["llo"], total, rtol=0, atol=1e-12)


def test_fig3_middle_spot_value_and_offset():
    res = authors.load("fig3_middle")
    i, j = list(res.coords["sigma"]).index(1.0), list(res.coords["d_z"]).index(8)
    llo = res.arrays["llo"][i, j]
    assert abs(llo - 1.7655) <= 0.01
    assert res.arrays["llo_plotted"][i, j] == pytest.approx(llo + 0.016 - 0.016, abs=1e-12)
    offset = 0.016 - 0.002 * res.coords["d_z"]
    np.testing.assert_allclose(res.arrays["llo_plotted"], res.arrays["llo"] + offset[None, :], atol=1e-12)


def test_fig3_middle_action_term_follows_the_noisy_probe_theory():
    res = authors.load("fig3_middle")
    sigma2 = res.coords["sigma"] ** 2
    theory = (sigma2 / (1 + sigma2)) ** 2
    wide = res.coords["d_z"] >= 8
    np.testing.assert_allclose(res.arrays["nmse_action"][:, wide], np.broadcast_to(theory[:, None],
                               (len(sigma2), int(wide.sum()))), atol=0.01)


def test_fig3_right_noise_term_is_rescaled_and_clipped():
    res = authors.load("fig3_right")
    noise = res.arrays["nmse_noise"]
    assert ((noise >= 0) & (noise <= 1)).all()
    assert (noise[0] == 1.0).any()  # sigma 0.5: the rescaled column exceeds 1 and is clipped


def test_fig4_constants_and_clip():
    left = authors.load("fig4_left")
    np.testing.assert_array_equal(left.arrays["nmse_noise"], 1.0)
    odd = left.coords["d_z"] % 2 == 1  # the notebook draws only even d_z
    assert np.isnan(left.arrays["llo_plotted"][:, odd]).all()
    np.testing.assert_array_equal(left.arrays["llo_plotted"][:, ~odd], left.arrays["llo"][:, ~odd])
    np.testing.assert_array_equal(authors.load("fig4_middle").arrays["nmse_noise"], 1.0)
    right = authors.load("fig4_right")
    assert (right.arrays["llo"] <= 2.0).all()
    assert (right.arrays["llo"] == 2.0).any()


@pytest.mark.parametrize("panel", authors.PANELS)
def test_agreement_with_itself_is_exact(panel):
    res = authors.load(panel)
    out = agreement.agreement(with_seed_axis(res), panel)
    assert out["n"] == POINTS[panel] and out["max_abs"] == 0.0 and out["mean_abs"] == 0.0
    assert set(out["worst"]) == set(authors.DIMS[panel])


def test_agreement_takes_seed_means_on_a_larger_grid():
    res = authors.load("fig3_right")
    sigma = np.array([0.5, 1.0, 2.0])
    llo = np.zeros((3, len(res.coords["d_z"]), 2))
    llo[[0, 2]] = res.arrays["llo"][..., None]
    llo[..., 0] += 0.1
    llo[..., 1] -= 0.1
    llo[2, 3, :] += 0.05
    ours = Results({"llo": llo}, ("sigma", "d_z", "seed"),
                   {"sigma": sigma, "d_z": res.coords["d_z"], "seed": np.arange(2)}, {})
    out = agreement.agreement(ours, "fig3_right")
    assert out["n"] == 30
    assert out["max_abs"] == pytest.approx(0.05)
    assert out["worst"] == {"sigma": 2.0, "d_z": int(res.coords["d_z"][3])}


def test_agreement_raises_on_a_missing_point_or_other_dims():
    res = with_seed_axis(authors.load("fig3_middle"))
    keep = res.coords["sigma"] != 0.5
    short = Results({k: v[keep] for k, v in res.arrays.items()}, res.dims,
                    dict(res.coords, sigma=res.coords["sigma"][keep]), {})
    with pytest.raises(ValueError, match=r"fig3_middle.*sigma=0\.5"):
        agreement.agreement(short, "fig3_middle")
    flat = Results({"llo": res.arrays["llo"][..., 0]}, ("sigma", "d_z"), res.coords, {})
    with pytest.raises(ValueError, match="fig3_middle.*dims"):
        agreement.agreement(flat, "fig3_middle")
    with pytest.raises(ValueError, match="panel"):
        authors.load("fig5")
