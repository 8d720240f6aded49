"""Every claim check on synthetic results: the theory's numbers hold, a deliberately wrong result is
contradicted (or, within noise, not resolved), and the judge reads the results folder only."""
import itertools
import re

import numpy as np
import pytest

from experiments import authors, runner
from experiments.paper_reading import SEEDED
from experiments.profile_check import PROFILE_CASES, PROFILES
from lamsim import save
from lamsim.runtime.results import Results
from reports import claims
from reports.checks import CONTRADICTED, HOLDS, UNRESOLVED

JITTER = np.array([-1e-4, 0.0, 1e-4])  # three seeds around the value; the mean is the value itself


def panel(axes: dict, seeds=3, **metrics) -> Results:
    """A Results whose ``metric`` is ``fn(coords)`` at every grid point (mean over seeds)."""
    dims = tuple(axes) + ("seed",)
    coords = {k: np.asarray(v) for k, v in axes.items()}
    coords["seed"] = np.arange(seeds)
    shape = tuple(len(v) for v in axes.values())
    jitter = JITTER[:seeds] - JITTER[:seeds].mean()
    arrays = {}
    for metric, fn in metrics.items():
        grid = np.empty(shape)
        for idx in itertools.product(*(range(n) for n in shape)):
            grid[idx] = fn({k: coords[k][i].item() for k, i in zip(axes, idx)})
        arrays[metric] = grid[..., None] + jitter
    return Results(arrays, dims, coords, {})


def doctored(loaded: Results, metric: str, fn) -> Results:
    return loaded._replace(arrays={**loaded.arrays, metric: fn(loaded.arrays[metric])})


def _floor(d_a, d_z, extra=0.0):
    return (max(d_a - d_z, 0) + extra) / 128


TABLE1_PAPER = {"no_noise": (0.624, np.nan), "low_noise": (0.781, 0.739), "high_noise": (1.046, 0.607),
                "correlated_policy": (1.997, 0.599), "augmentation": (0.415, 0.898),
                "action_prediction": (0.295, 0.986)}


def _table1(seeds=5) -> Results:
    """Table 1 at the paper's means, each seed off by its own +-0.03 (different per setting),
    so the paired differences have a spread (they are judged per seed)."""
    settings = list(TABLE1_PAPER)
    spread = 0.03 * np.random.default_rng(0).uniform(-1, 1, (len(settings), seeds))
    arrays = {m: np.asarray([[TABLE1_PAPER[s][i]] * seeds for s in settings]) + spread
              for i, m in enumerate(("controllable_loss", "stochastic_loss"))}
    return Results(arrays, ("setting", "seed"), {"setting": np.asarray(settings), "seed": np.arange(seeds)}, {})


def _unresolved(a, seeds=5):
    """Augmentation's controllable loss 0.01 below the default's on average, but
    with a seed-to-seed spread of 0.1: 0 < mean(d) < 2 s.e."""
    out = a.copy()
    out[4] = a[1] - 0.01 + 0.1 * np.resize([1, -1, 1, -1, 0], seeds)
    return out


@pytest.fixture(scope="module")
def good():
    """Results as the theory says a trained linear LAM gives them (d_a = d_b = 8 where fixed)."""
    left = panel({"d_a": [2, 8], "d_z": [1, 2, 8, 12]},
                 llo=lambda c: min(2.0, 1 + c["d_z"] / c["d_a"]),
                 loss=lambda c: _floor(c["d_a"], c["d_z"]) * 1.003, pca_floor=lambda c: _floor(c["d_a"], c["d_z"]),
                 alignment=lambda c: min(1.0, c["d_z"] / c["d_a"]))
    share = lambda s: s ** 2 / (1 + s ** 2)  # noqa: E731
    full = lambda c: c["d_z"] >= 8  # noqa: E731
    subspace = lambda c: c["action_target"] == "subspace"  # noqa: E731
    theory3 = lambda c: (2 - 0.01 * c["sigma"] if subspace(c) else 2 - share(c["sigma"]) - 0.1 * c["sigma"]) \
        if full(c) else 1.5  # noqa: E731
    middle = panel({"sigma": [0.0, 0.5, 1.5], "d_z": [4, 8, 12], "action_target": ["action", "subspace"]},
                   theory_llo=theory3, llo=lambda c: theory3(c) + 0.01,
                   nmse_action=lambda c: (0.01 if subspace(c) else share(c["sigma"]) + 0.005) if full(c) else 0.5,
                   alignment=lambda c: 1.0 if c["d_z"] >= 8 else 0.5,
                   pca_floor=lambda c: _floor(8, c["d_z"], 128 * c["sigma"] ** 2),
                   loss=lambda c: _floor(8, c["d_z"], 128 * c["sigma"] ** 2) * 1.005 + 1e-4 * (c["sigma"] == 0))
    # (sigma_exo, d_z): (LLO, nMSE(eps), nMSE(a)): 0.5 fits the action first, 2 the noise first.
    exo = {(0.5, 4): (1.5, 1.0, 0.5), (0.5, 8): (1.99, 1.0, 0.0), (0.5, 12): (1.9, 0.5, 0.0),
           (0.5, 16): (1.85, 0.0, 0.0), (2.0, 4): (0.0, 0.5, 1.0), (2.0, 8): (0.05, 0.02, 0.97),
           (2.0, 12): (0.5, 0.0, 0.5), (2.0, 16): (1.0, 0.0, 0.0)}
    right = panel({"sigma": [0.5, 2.0], "d_z": [4, 8, 12, 16]},
                  llo=lambda c: exo[c["sigma"], c["d_z"]][0], nmse_noise=lambda c: exo[c["sigma"], c["d_z"]][1],
                  nmse_action=lambda c: exo[c["sigma"], c["d_z"]][2],
                  alignment=lambda c: 1.0 if c["d_z"] >= 8 and c["sigma"] < 1 else 0.3,
                  pca_floor=lambda c: 0.05, loss=lambda c: 0.05 * 1.008)
    chi_llo = dict(zip([0.0, 0.3, 0.5, 0.7, 0.9, 1.0], [1.95, 1.93, 1.43, 0.56, 0.39, 0.9]))
    # No noise: interventional probes read 2; the paper's policy-fit probes fail at chi = 1.
    left4 = panel({"chi": list(chi_llo), "d_z": [8], "noise": ["none", "exo"], "probe": ["interventional", "policy-fit"]},
                  llo=lambda c: chi_llo[c["chi"]] if c["noise"] == "exo" else
                  (-0.5 if c["probe"] == "policy-fit" and c["chi"] == 1.0 else 2.0))
    kappas = [0.0, 0.02, 0.1, 0.5]
    aug = {"llo": [0.98, 1.5, 2.0, 2.0], "a_minus_i": [0.9, 0.3, 0.01, 0.001], "c_plus_d": [3.0, 1.0, 0.02, 0.005]}
    middle4 = panel({"kappa": kappas, "sigma": [0.0, 0.5]},
                    **{m: (lambda v: lambda c: v[kappas.index(c["kappa"])])(v) for m, v in aug.items()})
    right4 = panel({"sigma": [2.0], "d_z": [8], "label_rate": [0.0, 0.01, 0.05, 0.1]},
                   llo=lambda c: 1.9 if c["label_rate"] else 0.05, dy_ratio=lambda c: 0.1 if c["label_rate"] else 0.9)
    table = _table1()
    llo_case = dict(zip([c.name for c in PROFILE_CASES], [1.5, 2.0, 1.79, 0.05, 1.0, 0.5, 2.0, 2.0, 1.6, 2.0, 1.96,
                                                          1.0, 0.9, 1.5, 1.6, 1.9]))
    profile = panel({"case": list(llo_case), "profile": list(PROFILES)}, seeds=1,
                    llo=lambda c: llo_case[c["case"]] + (0.01 if c["profile"] == "faithful" else 0.0),
                    theory_llo=lambda c: llo_case[c["case"]], llo_drift=lambda c: 0.0)
    found = {"fig3_left": left, "fig3_middle": middle, "fig3_right": right, "fig4_left": left4,
             "fig4_middle": middle4, "fig4_right": right4, "table1_authors": table, "table1": table,
             claims.FULL_SIZE: _table1(seeds=20), "profile_check": profile}
    # The paper reading: the authors' own values, on three seeds around them, except the one point
    # where they miss C2 (d_a 2, d_z 1: 1.425 where 1 + d_z/d_a = 1.5), moved to 1.472: within 0.05
    # of theirs (row F) and within 0.03 of the theory (C2 under the paper's reading).
    for name in authors.PANELS:
        found[f"paper/{name}"] = _authors_as_ours(name)
    seeded = SEEDED["fig4_middle"]
    found["paper/fig4_middle_seeds"] = _authors_as_ours("fig4_middle", {a.name: a.values for a in seeded.axes})
    left = found["paper/fig3_left"]
    act = left.arrays["nmse_action"].copy()
    act[0, 0] = left.arrays["nmse_obs"][0, 0] + 1 - 1.472
    found["paper/fig3_left"] = left._replace(arrays={**left.arrays, "nmse_action": act})
    return found


def _authors_as_ours(name: str, at: dict = None) -> Results:
    """The authors' values of panel ``name`` as a result of ours on three seeds around them; ``at``:
    only these coordinate values (axis -> values)."""
    theirs = authors.load(name)
    index = [[list(np.round(theirs.coords[a], 6)).index(round(float(v), 6)) for v in (at or {}).get(a, theirs.coords[a])]
             for a in theirs.dims]
    return Results({k: v[np.ix_(*index)][..., None] + JITTER for k, v in theirs.arrays.items()}, theirs.dims + ("seed",),
                   {**{a: np.asarray(theirs.coords[a])[i] for a, i in zip(theirs.dims, index)}, "seed": np.arange(3)},
                   {})


def _flip(axis):
    return lambda a: np.flip(a, axis=axis)


# (claim, result to doctor, metric, how, verdict): each turns a true result into one the claim must reject.
WRONG = [
    ("C1", "fig3_middle", "loss", lambda a: a * 1.05, CONTRADICTED),                 # 5% above the PCA floor
    ("C1", "fig3_left", "loss", lambda a: a * 0.9, CONTRADICTED),                    # below the floor: not a minimum
    ("C1", "fig3_right", "alignment", _flip(0), CONTRADICTED),                       # span(B) misses the action
    ("C2", "fig3_left", "llo", _flip(1), CONTRADICTED),                              # LLO falls with d_z
    ("C2", "fig3_left", "llo", lambda a: a - 0.05, CONTRADICTED),                    # partial latents off 1 + d_z/d_a
    ("C3", "fig3_middle", "llo", lambda a: a - 0.1, CONTRADICTED),                   # off the theory curve
    ("C3", "fig3_middle", "alignment", lambda a: a * 0.98, CONTRADICTED),            # B drifts out of the action subspace
    ("C3", "fig3_middle", "nmse_action", _flip(0), CONTRADICTED),                    # action term not sigma^2/(1+sigma^2)
    ("C4", "fig3_right", "llo", _flip(0), CONTRADICTED),                             # sigma_exo 2 behaves like 0.5
    ("C4", "fig3_right", "nmse_noise", lambda a: 1 - a, CONTRADICTED),               # a d_z that excludes the noise
    ("C4", "fig3_right", "llo", lambda a: a + 0.3 * (np.arange(4) == 2)[None, :, None], CONTRADICTED),  # best d_z 12
    ("C5", "fig4_left", "llo", _flip(0), CONTRADICTED),                              # LLO rises with chi
    ("C5", "fig4_left", "llo", lambda a: a + 0.5 * (np.arange(6) == 3)[:, None, None, None, None],
     CONTRADICTED),                                                                 # not low at 0.7
    ("C3", "fig3_middle", "llo", lambda a: a - 0.06 * (np.arange(3) == 1)[:, None, None, None], CONTRADICTED),
    ("C6", "fig4_middle", "llo", _flip(0), CONTRADICTED),                            # augmentation hurts
    ("C6", "fig4_middle", "c_plus_d", _flip(0), CONTRADICTED),                       # C + D grows with kappa
    ("C6", "fig4_middle", "a_minus_i", lambda a: a + 0.1, CONTRADICTED),             # A stays away from I at kappa 0.1
    ("C7", "fig4_right", "llo", _flip(2), CONTRADICTED),                             # labels hurt
    ("C7", "fig4_right", "dy_ratio", _flip(2), CONTRADICTED),                        # labels pull D towards the noise
    ("C7", "fig4_right", "llo", lambda a: a - 1.8 * (np.arange(4) == 2)[None, None, :, None], CONTRADICTED),
    ("C8", claims.FULL_SIZE, "controllable_loss", _flip(0), CONTRADICTED),          # orderings reversed
    ("C8", claims.FULL_SIZE, "stochastic_loss", lambda a: a[[0, 1, 2, 3, 1, 5]], UNRESOLVED),  # augmentation no better
    ("C8", claims.FULL_SIZE, "controllable_loss", lambda a: _unresolved(a, 20), UNRESOLVED),  # better, within noise
    ("C8 (cpu profile)", "table1_authors", "controllable_loss", _flip(0), CONTRADICTED),  # reads its own table
    ("C8 (ours)", "table1", "controllable_loss", _flip(0), CONTRADICTED),            # our variant reads its own table
    ("F", "paper/fig3_middle", "llo", lambda a: a - 0.06, CONTRADICTED),              # 0.06 below the authors' values
    ("F", "paper/fig4_left", "llo", lambda a: a + 0.4 * (np.arange(11) == 10)[:, None, None], CONTRADICTED),
    ("F", "paper/fig4_right", "llo", lambda a: a - 0.13, CONTRADICTED),               # 0.13 off, tolerance 0.12
    ("F", "paper/fig4_middle_seeds", "nmse_action", lambda a: a + 0.06, CONTRADICTED),  # the seeded points count
    ("P (LLO)", "profile_check", "llo", lambda a: a + np.array([0.0, 0.0, 0.1])[None, :, None], CONTRADICTED),
    ("P (verdicts)", "profile_check", "llo",
     lambda a: a - 0.05 * np.outer(np.arange(len(PROFILE_CASES)) == 1, [0, 0, 1])[..., None], CONTRADICTED),
    # 2.0 v 1.96: within 0.05, but the faithful run misses C2's 1.97 where the fast one makes it
]
BY_ID = {spec.id: spec for spec in claims.ALL}


@pytest.mark.parametrize("spec", claims.CLAIMS, ids=lambda s: s.id)
def test_true_results_hold(good, spec):
    claim = claims.judge(spec, good)
    assert claim.verdict == HOLDS and claim.why == "", claim
    assert all(k.holds for k in claim.checks) and claim.checks


@pytest.mark.parametrize("claim_id, name, metric, how, verdict", WRONG,
                         ids=[f"{w[0]}-{w[1]}-{w[2]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_results_do_not_hold(good, claim_id, name, metric, how, verdict):
    found = {**good, name: doctored(good[name], metric, how)}
    claim = claims.judge(BY_ID[claim_id], found)
    assert claim.verdict == verdict, claim
    assert not claim.reason and claim.why  # it was measured, a check said no, and the reason says why


def test_a_point_within_noise_of_its_threshold_is_not_resolved():
    from reports.checks import Point, bound

    near = bound("q", [Point("a", 1.96, se=0.02)], ">=", 1.97)
    far = bound("q", [Point("a", 1.90, se=0.02)], ">=", 1.97)
    one_seed = bound("q", [Point("a", 1.96)], ">=", 1.97)
    assert (near.verdict, far.verdict, one_seed.verdict) == (UNRESOLVED, CONTRADICTED, CONTRADICTED)
    assert "within 2 s.e." in near.reason and "3.5 s.e. over seeds" in far.reason
    assert bound("q", [Point("a", 0.5, converged=False)], "<=", 0.1).verdict == UNRESOLVED


def test_table1_orderings_are_paired_differences_with_three_verdicts(good):
    checks = claims.nonlinear_lam(good["table1"])
    assert len(checks) == 9 and all(k.holds and k.measured.startswith("holds: d = ") for k in checks)
    # Per seed: the spread of the paired differences, not of each setting, sets the s.e.
    table = good["table1"]
    low, aug = table.arrays["controllable_loss"][1], table.arrays["controllable_loss"][4]
    d = low - aug
    want = f"d = {d.mean():.3f} ± {d.std(ddof=1) / np.sqrt(5):.3f} (5 seeds)"
    assert [k.measured for k in checks if k.quantity.startswith("controllable: augmentation")] == [f"holds: {want}"]
    verdicts = {}
    for name, how in ((UNRESOLVED, _unresolved), (CONTRADICTED, np.negative)):
        doctored_checks = claims.nonlinear_lam(doctored(table, "controllable_loss", how))
        verdicts[name] = [k.verdict for k in doctored_checks if not k.holds]
        assert all(k.measured.startswith(k.verdict) for k in doctored_checks)
    assert verdicts[UNRESOLVED] == [UNRESOLVED]
    assert set(verdicts[CONTRADICTED]) == {CONTRADICTED} and len(verdicts[CONTRADICTED]) == 5  # the controllable five
    unresolved = [k for k in claims.nonlinear_lam(doctored(table, "controllable_loss", _unresolved)) if not k.holds][0]
    assert "within 2 s.e.; about" in unresolved.reason and "seeds needed at the observed effect" in unresolved.reason
    one_seed = claims.nonlinear_lam(_table1(seeds=1))
    assert all(k.verdict == UNRESOLVED for k in one_seed)


def test_the_seeds_an_ordering_needs():
    from reports.table1_stats import paired_ordering

    # 5 seeds of d with mean 0.055 and s.e. 0.048 need (2 x 0.048 x sqrt(5) / 0.055)^2 = 15.2 -> 16 seeds.
    d = np.array([-0.06, 0.2, 0.1, -0.04, 0.075])
    p = paired_ordering(np.zeros(5), d)
    assert p.verdict == UNRESOLVED and p.seeds_needed == np.ceil((2 * p.se * np.sqrt(5) / p.mean) ** 2)
    assert paired_ordering(np.zeros(5), -d - 0.2).verdict == CONTRADICTED


def test_c8_rests_on_the_declared_20_seeds_with_the_first_5_beside(good, tmp_path):
    """C8 judges the authors' size: not resolved while the table holds fewer than the declared 20
    seeds (the units in the folder are counted), and each ordering at 20 seeds names its first 5."""
    c8 = claims.judge(BY_ID["C8"], good, tmp_path)
    assert c8.verdict == HOLDS and c8.checks[0].measured == "20 seeds" and len(c8.checks) == 10
    assert "; seeds 0-4: holds, d = " in c8.checks[1].measured
    five = claims.judge(BY_ID["C8"], {**good, claims.FULL_SIZE: _table1(seeds=5)}, tmp_path)
    assert five.verdict == UNRESOLVED and "the table holds 5 of 20 declared seeds; 0 of 140 units" in five.why
    from experiments.table1 import AUTHORS
    from experiments.table1_units import unit_path

    unit = unit_path(tmp_path, AUTHORS.with_profile("faithful"), "no_noise", 0)
    unit.parent.mkdir()
    unit.write_text("{}")
    assert "is not a unit of Table 1" in claims.full_size(tmp_path).reason  # a corrupt unit is named
    unit.unlink()
    missing = claims.full_size(tmp_path)
    assert isinstance(missing, claims.Missing) and "0 of 140 units" in missing.reason
    assert claims.judge(BY_ID["C8"], {**good, claims.FULL_SIZE: missing}).verdict == UNRESOLVED


def test_profile_check_reports_both_profiles(good):
    checks = claims.same_verdicts(good["profile_check"])
    assert [c.quantity for c in checks[:2]] == ["verdict exact vs faithful: no noise, d_z 4",
                                                "verdict fast vs faithful: no noise, d_z 4"]
    assert checks[0].measured == "holds / holds (LLO 1.5000 vs 1.5100)"
    llo = claims.same_llo(good["profile_check"])
    assert len(llo) == len(PROFILE_CASES) and all(k.holds for k in llo)
    moving = doctored(good["profile_check"], "llo_drift", lambda a: a + 0.05)  # nothing converged: no verdict
    assert {k.verdict for k in claims.same_llo(moving)} == {UNRESOLVED}


def test_missing_results_are_not_resolved_and_name_their_command(good):
    found = {**good, "fig4_right": claims.Missing("results/fig4_right missing (python -m experiments fig4_right)")}
    c7 = claims.judge(BY_ID["C7"], found)
    assert c7.verdict == UNRESOLVED and c7.why == "results/fig4_right missing (python -m experiments fig4_right)"
    no_d_z_8 = panel({"sigma": [0.5, 2.0], "d_z": [4, 16]}, llo=lambda c: 1.0, nmse_noise=lambda c: 0.0,
                     nmse_action=lambda c: 0.0)
    c4 = claims.judge(BY_ID["C4"], {**good, "fig3_right": no_d_z_8})
    assert c4.verdict == UNRESOLVED and "d_z=8 is not a coordinate" in c4.reason


def _write(out, results):
    for name, r in results.items():
        save(out, name, r.arrays, r.dims, r.coords, {})


def test_main_reports_every_claim_and_exits_by_the_verdicts(good, tmp_path, capsys):
    _write(tmp_path, good)
    assert claims.main(["--results", str(tmp_path)]) == 1  # the exogenous panels are not there
    text = (tmp_path / "claims.md").read_text()
    assert text == capsys.readouterr().out
    assert "- The paper's claims: 10 hold, 0 not resolved, 0 contradicted." in text
    assert "- Beyond the paper: exogenous state and its remedies: 0 hold, 7 not resolved, 0 contradicted." in text
    for spec in claims.CLAIMS:
        assert f"| {spec.id} | holds |" in text
    assert "| X1 | not resolved | results/exo_state missing (python -m experiments exo_state) |" in text
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically
    rows = [re.split(r"(?<!\\)\|", line) for line in text.splitlines() if line.startswith("| ")]
    assert {len(r) for r in rows} == {6, 7}  # |x| in a cell is escaped: 4 or 5 columns per row
    _write(tmp_path, {"fig4_right": doctored(good["fig4_right"], "llo", _flip(2))})
    assert claims.main(["--results", str(tmp_path)]) == 1
    assert "| C7 | contradicted |" in (tmp_path / "claims.md").read_text()
    from reports.__main__ import main as reports_cli

    assert reports_cli(["claims", "--results", str(tmp_path / "none")]) == 2


def test_the_judge_never_trains_and_a_missing_panel_is_not_resolved(good, tmp_path, monkeypatch, capsys):
    """A results folder missing one panel: nothing is trained, the claims reading it are not resolved
    and name the command that makes it, every other claim is judged."""
    def no_training(*args, **kwargs):
        raise AssertionError("the judge must not train")

    monkeypatch.setattr(runner, "run_experiment", no_training)
    import experiments.table1_units as units
    monkeypatch.setattr(units, "run_units", no_training)
    _write(tmp_path, {k: v for k, v in good.items() if k != "fig3_left"})
    assert claims.main(["--results", str(tmp_path)]) == 1
    text = capsys.readouterr().out
    for reading in ("C1", "C2"):
        assert f"| {reading} | not resolved | results/fig3_left missing (python -m experiments fig3_left) |" in text
    assert "| C3 | holds |" in text and "| C8 | holds |" in text
    assert not (tmp_path / "fig3_left.npz").exists()


def test_no_verdict_rests_on_an_unconverged_point(good):
    """C5 is contradicted where the LLO at chi 0.7 is too high; marked as not converged (its LLO still
    moving in the second half of training), that point is left out, named, and C5 holds on the rest."""
    left4 = good["fig4_left"]
    high = doctored(left4, "llo", lambda a: a + 0.5 * (np.arange(6) == 3)[:, None, None, None, None])
    spec = BY_ID["C5"]
    assert claims.judge(spec, {"fig4_left": high}).verdict == CONTRADICTED
    drift = np.zeros_like(left4.arrays["llo"])
    drift[3] = 0.05
    unsettled = high._replace(arrays={**high.arrays, "llo_drift": drift})
    claim = claims.judge(spec, {"fig4_left": unsettled})
    assert claim.verdict == HOLDS
    assert any("not converged, left out: chi=0.7" in c.measured for c in claim.checks)
    # Converged (drift within the bound): the same values are contradicted again.
    settled = high._replace(arrays={**high.arrays, "llo_drift": drift * 0.1})
    assert claims.judge(spec, {"fig4_left": settled}).verdict == CONTRADICTED


def test_no_check_of_c5_reads_the_policy_fit_probes(good):
    """The policy-fit reading leaves the LLO's range: C5 reads the interventional probes only."""
    wild = doctored(good["fig4_left"], "llo", lambda a: np.where(a < 0, -674.0, a))
    assert claims.judge(BY_ID["C5"], {"fig4_left": wild}).verdict == HOLDS
    assert not any("policy-fit" in k.quantity for k in claims.judge(BY_ID["C5"], good).checks)


def test_the_authors_values_miss_c2_only_at_the_smallest_latent():
    """At d_a 2, d_z 1 the authors' finite probe training reads LLO 1.425 where 1 + d_z/d_a = 1.5."""
    claim = claims.judge(BY_ID["C2 (paper)"], {"paper/fig3_left": _authors_as_ours("fig3_left")})
    assert claim.verdict == CONTRADICTED
    failing = [c for c in claim.checks if not c.holds]
    assert len(failing) == 1 and "d_a=2, d_z=1 (1 of 64 pts outside)" in failing[0].measured
