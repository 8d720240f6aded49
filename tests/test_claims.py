"""Every claim check on synthetic results: the theory's numbers PASS, a deliberately wrong result FAILs."""
import itertools
import re

import numpy as np
import pytest

from experiments import authors, runner
from lamsim import save
from experiments.profile_check import EXPERIMENT as PROFILE_CHECK
from lamsim.runtime.results import Results
from reports import claims

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


def _unresolved(a):
    """Augmentation's controllable loss 0.01 below the default's on average, but
    with a seed-to-seed spread of 0.1: 0 < mean(d) < 2 s.e."""
    out = a.copy()
    out[4] = a[1] - 0.01 + 0.1 * np.array([1, -1, 1, -1, 0])
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
    llo_case = dict(zip([c.name for c in claims.PROFILE_CASES], [1.5, 2.0, 1.79, 0.05, 1.0, 0.5, 2.0, 2.0, 1.6, 2.0, 1.96, 1.0, 0.9, 1.5, 1.6, 1.9]))
    profile = panel({"case": list(llo_case), "profile": list(claims.PROFILES)}, seeds=1,
                    llo=lambda c: llo_case[c["case"]] + (0.01 if c["profile"] == "faithful" else 0.0),
                    theory_llo=lambda c: llo_case[c["case"]], pca_floor=lambda c: 0.05, loss=lambda c: 0.05 * 1.001)
    found = {"fig3_left": left, "fig3_middle": middle, "fig3_right": right, "fig4_left": left4,
             "fig4_middle": middle4, "fig4_right": right4, "table1_authors": table, "table1": table,
             claims.FULL_SIZE: table, "profile_check": profile}
    # The paper reading: the authors' own values, on three seeds around them, except the one point
    # where they miss C2 (d_a 2, d_z 1: 1.425 where 1 + d_z/d_a = 1.5), moved to 1.472: within 0.05
    # of theirs (row F) and within 0.03 of the theory (C2 under the paper's reading).
    for name in authors.PANELS:
        found[f"paper/{name}"] = _authors_as_ours(name)
    left = found["paper/fig3_left"]
    act = left.arrays["nmse_action"].copy()
    act[0, 0] = left.arrays["nmse_obs"][0, 0] + 1 - 1.472
    found["paper/fig3_left"] = left._replace(arrays={**left.arrays, "nmse_action": act})
    return found


def _authors_as_ours(name: str) -> Results:
    theirs = authors.load(name)
    return Results({k: v[..., None] + JITTER for k, v in theirs.arrays.items()}, theirs.dims + ("seed",),
                   {**theirs.coords, "seed": np.arange(3)}, {})


def _flip(axis):
    return lambda a: np.flip(a, axis=axis)


# (claim, result to doctor, metric, how): each turns a true result into one the claim must reject.
WRONG = [
    ("C1", "fig3_middle", "loss", lambda a: a * 1.05),                 # 5% above the PCA floor
    ("C1", "fig3_left", "loss", lambda a: a * 0.9),                    # below the floor: not a minimum
    ("C1", "fig3_right", "alignment", _flip(0)),                       # span(B) misses the action at sigma 0.5
    ("C2", "fig3_left", "llo", _flip(1)),                              # LLO falls with d_z
    ("C2", "fig3_left", "llo", lambda a: a - 0.05),                    # partial latents off 1 + d_z/d_a
    ("C3", "fig3_middle", "llo", lambda a: a - 0.1),                   # off the theory curve
    ("C3", "fig3_middle", "alignment", lambda a: a * 0.98),            # B drifts out of the action subspace
    ("C3", "fig3_middle", "nmse_action", _flip(0)),                    # action term not sigma^2/(1+sigma^2)
    ("C4", "fig3_right", "llo", _flip(0)),                             # sigma_exo 2 behaves like 0.5
    ("C4", "fig3_right", "nmse_noise", lambda a: 1 - a),               # a d_z that excludes the noise
    ("C4", "fig3_right", "llo", lambda a: a + 0.3 * (np.arange(4) == 2)[None, :, None]),  # best d_z is 12
    ("C5", "fig4_left", "llo", _flip(0)),                              # LLO rises with chi
    ("C5", "fig4_left", "llo", lambda a: a + 0.5 * (np.arange(6) == 3)[:, None, None, None, None]),  # not low at 0.7
    ("C5", "fig4_left", "llo", lambda a: np.where(a < 0, 1.5, a)),      # paper's protocol: no drop at chi 1
    ("C3", "fig3_middle", "llo", lambda a: a - 0.06 * (np.arange(3) == 1)[:, None, None, None]),  # gap at 0.5 both
    ("C6", "fig4_middle", "llo", _flip(0)),                            # augmentation hurts
    ("C6", "fig4_middle", "c_plus_d", _flip(0)),                       # C + D grows with kappa
    ("C6", "fig4_middle", "a_minus_i", lambda a: a + 0.1),             # A stays away from I at kappa 0.1
    ("C7", "fig4_right", "llo", _flip(2)),                             # labels hurt
    ("C7", "fig4_right", "dy_ratio", _flip(2)),                        # labels pull D towards the noise
    ("C7", "fig4_right", "llo", lambda a: a - 1.8 * (np.arange(4) == 2)[None, None, :, None]),  # 5% labels fail
    ("C8", claims.FULL_SIZE, "controllable_loss", _flip(0)),          # orderings reversed at the authors' size
    ("C8", claims.FULL_SIZE, "stochastic_loss", lambda a: a[[0, 1, 2, 3, 1, 5]]),  # augmentation no better on noise
    ("C8", claims.FULL_SIZE, "controllable_loss", _unresolved),       # augmentation better, but not resolved
    ("C8 (cpu profile)", "table1_authors", "controllable_loss", _flip(0)),  # the cpu profile reads its own table
    ("C8 (ours)", "table1", "controllable_loss", _flip(0)),            # our variant reads its own table
    ("F", "paper/fig3_middle", "llo", lambda a: a - 0.06),              # 0.06 below the authors' values
    ("F", "paper/fig4_left", "llo", lambda a: a + 0.4 * (np.arange(11) == 10)[:, None, None]),  # chi = 1 off by 0.4
    ("F", "paper/fig4_right", "llo", lambda a: a - 0.13),               # 0.13 off where the tolerance is 0.12
    ("P", "profile_check", "llo", lambda a: a + np.array([0.0, 0.0, 0.1])[None, :, None]),  # faithful 0.1 off
    ("P", "profile_check", "llo", lambda a: a - 0.05 * np.outer(np.arange(len(claims.PROFILE_CASES)) == 1, [0, 0, 1])[..., None]),  # 2.0 v 1.96:
    # within 0.05, but the faithful run misses C2's 1.97 where the fast one makes it
]
BY_ID = {spec.id: spec for spec in claims.CLAIMS}


@pytest.mark.parametrize("spec", claims.CLAIMS, ids=lambda s: s.id)
def test_true_results_pass(good, spec):
    claim = claims.judge(spec, good)
    assert claim.verdict == "PASS", claim
    assert all(k.holds for k in claim.checks) and claim.checks


@pytest.mark.parametrize("claim_id, name, metric, how", WRONG, ids=[f"{w[0]}-{w[1]}-{w[2]}-{i}" for i, w in
                                                                   enumerate(WRONG)])
def test_wrong_results_fail(good, claim_id, name, metric, how):
    found = {**good, name: doctored(good[name], metric, how)}
    claim = claims.judge(BY_ID[claim_id], found)
    assert claim.verdict == "FAIL", claim
    assert not claim.reason  # it was measured, and a check said no


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
    for name, how in (("not resolved", _unresolved), ("FAIL", np.negative)):
        doctored_checks = claims.nonlinear_lam(doctored(table, "controllable_loss", how))
        verdicts[name] = [k.measured.split(":")[0] for k in doctored_checks if not k.holds]
        assert all(k.holds == k.measured.startswith("holds") for k in doctored_checks)
    assert verdicts["not resolved"] == ["not resolved"]
    assert set(verdicts["FAIL"]) == {"FAIL"} and len(verdicts["FAIL"]) == 5  # the five controllable orderings
    one_seed = claims.nonlinear_lam(_table1(seeds=1))
    assert all(k.measured.startswith("not resolved") and not k.holds for k in one_seed)


def test_c8_rests_on_the_full_size_once_its_units_exist_else_on_the_cpu_profile(good, tmp_path):
    """With every unit there C8 judges the authors' size, whatever the cpu profile says; with units
    missing it keeps the cpu profile's verdict, names it, and counts and names the missing units."""
    wrong_cpu = {**good, "table1_authors": doctored(good["table1_authors"], "controllable_loss", _flip(0))}
    c8 = claims.judge(BY_ID["C8"], wrong_cpu)
    assert c8.verdict == "PASS" and c8.checks[0].measured == "the authors' size" and len(c8.checks) == 10
    assert claims.judge(BY_ID["C8 (cpu profile)"], wrong_cpu).verdict == "FAIL"
    from experiments.table1 import AUTHORS
    from experiments.table1_units import unit_path

    unit = unit_path(tmp_path, AUTHORS.with_profile("faithful"), "no_noise", 0)
    unit.parent.mkdir()
    unit.write_text("{}")
    assert "is not a unit of Table 1" in claims.full_size(tmp_path).reason  # a corrupt unit is named
    unit.unlink()
    missing = claims.full_size(tmp_path)
    assert isinstance(missing, claims.Missing) and "has 0 of 35 units" in missing.reason
    assert "no_noise seeds 0, 1, 2, 3, 4; low_noise seeds 0, 1, 2, 3, 4;" in missing.reason
    for cpu, verdict in ((good["table1_authors"], "PASS"), (wrong_cpu["table1_authors"], "FAIL")):
        c8 = claims.judge(BY_ID["C8"], {**good, claims.FULL_SIZE: missing, "table1_authors": cpu})
        assert c8.verdict == verdict and c8.checks[0].measured.startswith("cpu profile: table1_authors_faithful has 0")


def test_profile_check_reports_both_profiles(good):
    checks = claims.profiles_stand_in_for_faithful(good["profile_check"])
    assert len(checks) == 2 * len(claims.PROFILE_CASES)
    assert [c.quantity for c in checks[:2]] == ["LLO exact vs faithful: no noise, d_z 4", "LLO fast vs faithful: no noise, d_z 4"]
    assert checks[0].measured == "1.5000 vs 1.5100 (PASS/PASS)"


def test_missing_results_and_coordinates_are_named_failures(good):
    found = {**good, "table1_authors": claims.Missing("table1_authors is missing and could not be produced: no module")}
    c8 = claims.judge(BY_ID["C8"], found)
    assert c8.verdict == "FAIL" and "could not be produced" in c8.reason
    assert claims.judge(BY_ID["C8 (ours)"], found).verdict == "PASS"  # C8 rests on the authors' table alone
    skipped = claims.judge(BY_ID["C8"], {**good, "table1_authors": claims.Missing("skipped in quick mode",
                                                                                   skipped=True)})
    assert skipped.verdict == "SKIP"
    no_d_z_8 = panel({"sigma": [0.5, 2.0], "d_z": [4, 16]}, llo=lambda c: 1.0, nmse_noise=lambda c: 0.0,
                     nmse_action=lambda c: 0.0)
    c4 = claims.judge(BY_ID["C4"], {**good, "fig3_right": no_d_z_8})
    assert c4.verdict == "FAIL" and "d_z=8 is not a coordinate" in c4.reason


def _write(out, results, config):
    for name, r in results.items():
        meta = {"config": config} if name == "profile_check" else {}
        save(out, name, r.arrays, r.dims, r.coords, meta)


def test_main_reports_every_claim_and_exits_by_the_verdicts(good, tmp_path, capsys):
    config = PROFILE_CHECK.job().config
    _write(tmp_path, good, config)
    assert claims.main(["--results", str(tmp_path)]) == 0
    text = (tmp_path / "claims.md").read_text()
    assert text.startswith(f"# Claims of the paper: {len(claims.CLAIMS)}/{len(claims.CLAIMS)} hold")
    assert text == capsys.readouterr().out
    for spec in claims.CLAIMS:
        assert f"| {spec.id} | PASS |" in text
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically
    rows = [re.split(r"(?<!\\)\|", line) for line in text.splitlines() if line.startswith("| ")]
    assert {len(r) for r in rows} == {5, 7}  # |x| in a cell is escaped: 3 or 5 columns per row
    _write(tmp_path, {"fig4_right": doctored(good["fig4_right"], "llo", _flip(2))}, config)
    assert claims.main(["--results", str(tmp_path)]) == 1
    assert "| C7 | FAIL |" in (tmp_path / "claims.md").read_text()


def _judged(out, quick):
    found = claims.gather(out, quick)
    return [claims.judge(spec, found) for spec in claims.CLAIMS]


def test_unproducible_table_fails_and_quick_mode_skips_it(good, tmp_path, monkeypatch):
    _write(tmp_path, {k: v for k, v in good.items() if not k.startswith("table1")}, PROFILE_CHECK.job().config)

    def no_table(exp, quick, out):  # every other result is already in tmp_path
        if exp.name.startswith("table1"):
            raise ModuleNotFoundError("No module named 'experiments.table1'")

    monkeypatch.setattr(runner, "run_experiment", no_table)
    full = {c.id: c for c in _judged(tmp_path, quick=False)}
    for c8 in ("C8", "C8 (ours)"):
        assert full[c8].verdict == "FAIL" and "experiments.table1" in full[c8].reason
    assert all(c.verdict == "PASS" for k, c in full.items() if not k.startswith("C8"))
    monkeypatch.setattr(claims, "PUBLISHED", tmp_path / "nothing")
    quick = {c.id: c for c in _judged(tmp_path, quick=True)}
    for c8 in ("C8", "C8 (ours)"):
        assert quick[c8].verdict == "SKIP" and "quick mode" in quick[c8].reason
    assert claims.main(["--results", str(tmp_path), "--quick"]) == 1  # a skipped claim does not hold


def test_cached_results_are_not_retrained_unless_missing_or_stale(good, tmp_path, monkeypatch):
    produced = []
    monkeypatch.setattr(runner, "run_experiment", lambda exp, quick, out: produced.append(exp.name))
    _write(tmp_path, {"fig3_left": good["fig3_left"], "profile_check": good["profile_check"]}, PROFILE_CHECK.job().config)
    assert isinstance(claims.obtain("fig3_left", tmp_path, quick=False), Results)
    assert isinstance(claims.obtain("profile_check", tmp_path, quick=False), Results)
    assert produced == []
    _write(tmp_path, {"profile_check": good["profile_check"]}, {"cases": "an older set"})
    claims.obtain("profile_check", tmp_path, quick=False)
    claims.obtain("fig4_left", tmp_path, quick=False)
    assert produced == ["profile_check", "fig4_left"]


def test_no_verdict_rests_on_an_unconverged_point(good):
    """C5 fails where the LLO at chi 0.7 is too high; marked as not converged (its LLO still moving
    in the second half of training), that point is left out, named, and C5 holds on the rest."""
    left4 = good["fig4_left"]
    high = doctored(left4, "llo", lambda a: a + 0.5 * (np.arange(6) == 3)[:, None, None, None, None])
    spec = BY_ID["C5"]
    assert claims.judge(spec, {"fig4_left": high}).verdict == "FAIL"
    drift = np.zeros_like(left4.arrays["llo"])
    drift[3] = 0.05
    unsettled = high._replace(arrays={**high.arrays, "llo_drift": drift})
    claim = claims.judge(spec, {"fig4_left": unsettled})
    assert claim.verdict == "PASS"
    assert any("not converged, left out: chi=0.7" in c.measured for c in claim.checks)
    # Converged (drift within the bound): the same values fail again.
    settled = high._replace(arrays={**high.arrays, "llo_drift": drift * 0.1})
    assert claims.judge(spec, {"fig4_left": settled}).verdict == "FAIL"


def test_the_authors_values_miss_c2_only_at_the_smallest_latent():
    """At d_a 2, d_z 1 the authors' finite probe training reads LLO 1.425 where 1 + d_z/d_a = 1.5."""
    claim = claims.judge(BY_ID["C2 (paper)"], {"paper/fig3_left": _authors_as_ours("fig3_left")})
    assert claim.verdict == "FAIL"
    failing = [c for c in claim.checks if not c.holds]
    assert len(failing) == 1 and "d_a=2, d_z=1 (1 of 64 pts outside)" in failing[0].measured


def test_check_only_judges_what_is_there_and_trains_nothing(good, tmp_path, monkeypatch, capsys):
    """--check-only: the claims whose results are in the folder are judged (a doctored one FAILs),
    every other claim is SKIP, nothing is produced, and the exit status is 1 (a SKIP does not hold)."""
    def no_training(*args, **kwargs):
        raise AssertionError("--check-only must not train")

    monkeypatch.setattr(runner, "run_experiment", no_training)
    _write(tmp_path, {"fig3_left": good["fig3_left"],
                      "fig4_right": doctored(good["fig4_right"], "llo", _flip(2))}, {})
    assert claims.main(["--results", str(tmp_path), "--check-only"]) == 1
    text = capsys.readouterr().out
    assert "| C2 | PASS |" in text and "| C7 | FAIL |" in text
    for skipped in ("C1", "C3", "C4", "C5", "C6", "C8", "C8 (ours)", "P", "F"):
        assert f"| {skipped} | SKIP |" in text, skipped
    assert "check only" in text and "--check-only trains nothing" in text
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == ["fig3_left.npz", "fig4_right.npz"]
    with pytest.raises(SystemExit):  # reduced grids mean training: the two modes exclude each other
        claims.main(["--results", str(tmp_path), "--check-only", "--quick"])
