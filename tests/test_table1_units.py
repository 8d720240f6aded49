"""Table 1 as the authors ran it, trained in resumable (row, seed) units (experiments/table1_units.py),
at the tiny size of tests/authors_tiny.py with 2 rows and 1 seed."""
import dataclasses
import json

import numpy as np
import pytest

from experiments import table1
from experiments import table1_units as tu
from lamsim.errors import InputError
from lamsim.gridworld.authors import settings as asg
from lamsim.gridworld.authors import train as at
from lamsim.runtime import results

from authors_tiny import SEEDS, TINY  # tests/authors_tiny.py

ROWS = ("no_noise", "high_noise")
#: The CLI flags of the TINY size (a table named table1_authors_custom).
TINY_FLAGS = [f for k, v in TINY.items() for f in (f"--{k.replace('_', '-')}", str(v))]


def _table():
    table = table1.AUTHORS.with_profile("faithful", **TINY)
    return dataclasses.replace(table, rows={r: table1.AUTHORS_ROWS[r] for r in ROWS})


#: The trainer itself, before any test replaces it.
TRAIN_RUNS = at.train_runs


class Interrupted(Exception):
    """Stands for Ctrl-C or a killed process in the middle of a run."""


class Counting:
    """authors_train.train_runs, counting its calls; raises after ``limit`` calls when given."""

    def __init__(self, limit=None):
        self.calls, self.limit, self.train = [], limit, TRAIN_RUNS

    def __call__(self, config, settings, seeds, name="", stream=None):
        if self.limit is not None and len(self.calls) >= self.limit:
            raise Interrupted("interrupted")
        self.calls.append((tuple(settings), tuple(seeds), name))
        return self.train(config, settings, seeds, name, stream)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The 2-unit table trained in one go: (folder, npz path)."""
    out = tmp_path_factory.mktemp("whole")
    return out, tu.run_units(_table(), seeds=1, out=out)


@pytest.mark.slow
def test_an_interrupted_run_resumes_and_matches_an_uninterrupted_one(uninterrupted, tmp_path, monkeypatch, capsys):
    table = _table()
    first = Counting(limit=1)
    monkeypatch.setattr(at, "train_runs", first)
    with pytest.raises(Interrupted):
        tu.run_units(table, seeds=1, out=tmp_path)
    units = sorted(p.name for p in (tmp_path / f"{table.name}_units").iterdir())
    assert units == ["no_noise.seed0.json"] and len(first.calls) == 1 and len(first.calls[0][0]) == 1
    assert not (tmp_path / f"{table.name}.npz").exists() and not (tmp_path / f"{table.name}.json").exists()
    assert tu.unit_status(tmp_path, table, 1) == ([("no_noise", 0)], [("high_noise", 0)])
    unit = json.loads((tmp_path / f"{table.name}_units/no_noise.seed0.json").read_text())
    assert unit["update_formulation"] == at.UPDATE_FORMULATION and unit["model"] == table.model.to_dict()
    assert unit["row"] == "no_noise" and unit["seed"] == 0 and unit["profile"] == "faithful"
    assert unit["window"]["updates"] == TINY["metric_epochs"] * table.model.updates_per_epoch
    assert len(unit["dead_code_resets"]) == table.model.codes and "environment" in unit
    # Progress names the unit, its epoch and ETA, then the time left.
    err = capsys.readouterr().err
    assert "unit 1 of 2: no_noise seed 0" in err and "no_noise seed 0, unit 1 of 2] epoch 6/6" in err

    second = Counting()
    monkeypatch.setattr(at, "train_runs", second)
    path = tu.run_units(table, seeds=1, out=tmp_path)
    assert [c[:2] for c in second.calls] == [((table.rows["high_noise"],), (0,))]  # the finished unit is reused
    assert "1 unit(s) left" not in capsys.readouterr().err
    resumed, whole = results.load(path), results.load(uninterrupted[1])
    assert resumed.dims == ("setting", "seed") and list(resumed.coords["setting"]) == list(ROWS)
    assert set(resumed.arrays) == set(whole.arrays)
    for name, value in whole.arrays.items():
        np.testing.assert_array_equal(resumed.arrays[name], value, err_msg=name)  # bit for bit
    assert resumed.meta["config"] == table.job(seeds=1).config
    assert resumed.meta["dead_code_resets"] == whole.meta["dead_code_resets"]
    assert set(resumed.meta) == set(whole.meta)
    assert resumed.meta["update_formulation"] == [at.UPDATE_FORMULATION]
    # Reused as it is: nothing trains, nothing is rewritten.
    stamp = path.stat().st_mtime_ns
    assert tu.run_units(table, seeds=1, out=tmp_path) == path and path.stat().st_mtime_ns == stamp
    assert len(second.calls) == 1


@pytest.mark.slow
def test_a_unit_alone_equals_the_same_run_batched_with_the_others(uninterrupted, authors_tiny_trained):
    """Alone (one run per program, as units train) and batched with the table's other runs (every
    row x 2 seeds vmapped in one program, tests/authors_tiny.py): the counts, updates and resets are
    equal and the loss sums agree to about one float32 ulp (measured: relative 7.7e-8 at most with
    one other run, and bit-identical for stochastic_train), not bit for bit: XLA compiles the
    programs' reductions differently."""
    table, out = _table(), uninterrupted[0]
    config, state, _, _, _ = authors_tiny_trained
    assert config == table.model
    every_row = list(table1.AUTHORS_ROWS)
    for row in ROWS:
        i = every_row.index(row) * len(SEEDS) + SEEDS.index(0)  # the batch is setting-major
        alone = json.loads(tu.unit_path(out, table, row, 0).read_text())
        for field in ("controllable", "stochastic", "controllable_train", "stochastic_train"):
            np.testing.assert_allclose(np.asarray(getattr(state.window, field))[i], alone["window"][field],
                                       rtol=1e-6, atol=0, err_msg=f"{row} {field}")
        for field in ("counts", "updates"):
            np.testing.assert_array_equal(np.asarray(getattr(state.window, field))[i], alone["window"][field])
        np.testing.assert_array_equal(np.asarray(state.resets)[i], alone["dead_code_resets"])


def test_a_unit_with_another_config_is_retrained(tmp_path, monkeypatch, capsys):
    table = _table()
    calls = []

    def unit(model, row, seed):
        return {"kind": tu.UNIT_KIND, "row": row, "seed": seed, "setting": table.rows[row].to_dict(),
                "model": model.to_dict(), "window": {}, "dead_code_resets": [],
                "update_formulation": at.UPDATE_FORMULATION, "wall_s": 0.0}

    def fake(unit_table, row, seed, name, stream=None):
        calls.append((row, seed, name))
        return unit(unit_table.model, row, seed)

    # An old unit of another width: not reused, retrained and overwritten.
    path = results.write_json(tu.unit_path(tmp_path, table, "no_noise", 0),
                              unit(dataclasses.replace(table.model, width=5), "no_noise", 0))
    assert tu.unit_status(tmp_path, table, 1) == ([], [("no_noise", 0), ("high_noise", 0)])
    monkeypatch.setattr(tu, "train_unit", fake)
    assert tu.run_units(table, seeds=1, out=tmp_path, rows=["no_noise"]) is None
    err = capsys.readouterr().err
    assert calls == [("no_noise", 0, f"{table.name} no_noise seed 0, unit 1 of 1")]
    assert "holds another config" in err and str(path) in err
    assert "1 of 2 units done, table not written; missing: high_noise seed 0" in err
    assert tu.unit_status(tmp_path, table, 1) == ([("no_noise", 0)], [("high_noise", 0)])
    # --force retrains every asked unit, even one that matches.
    assert tu.run_units(table, seeds=1, out=tmp_path, rows=["no_noise"], force=True) is None
    assert len(calls) == 2


@pytest.mark.parametrize("flags, field", [
    (["--rows", "bogus"], "rows='bogus'"),
    (["--rows", "no_noise,no_noise"], "rows='no_noise,no_noise'"),
    (["--only-seeds", "20"], "only_seeds='20'"),  # the authors' size has seeds 0-19
    (["--only-seeds", "a"], "only_seeds='a'"),
    (["--budget", "-1"], "budget='-1'"),
    (["--budget", "nan"], "budget='nan'"),
])
@pytest.mark.parametrize("table", ["table1_authors", "table1_augmentation"])
def test_bad_unit_options_exit_2_with_one_line(table, flags, field, tmp_path, capsys, monkeypatch):
    import experiments.__main__ as experiments_cli

    monkeypatch.setattr(at, "train_runs", Counting(limit=0))  # nothing may train
    if table == "table1_augmentation":  # its rows and 5 seeds at the authors' size
        flags = {"bogus": flags, "no_noise,no_noise": ["--rows", "idm_copy,idm_copy"], "20": ["--only-seeds", "5"]}.get(
            flags[1], flags)
        field = field.replace("no_noise,no_noise", "idm_copy,idm_copy").replace("'20'", "'5'")
    code = experiments_cli.main([table, "--profile", "faithful", *flags, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {field} is invalid") and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


def test_unit_options_are_refused_for_the_published_cpu_table(tmp_path, capsys):
    import experiments.__main__ as experiments_cli

    assert experiments_cli.main(["table1_authors", "--rows", "no_noise", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: rows='no_noise' is invalid: applies to a table trained in units")
    assert experiments_cli.main(["table1", "--budget", "1", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: budget='1' is invalid")
    assert experiments_cli.main(["all", "--profile", "faithful", "--rows", "no_noise", "--out", str(tmp_path)]) == 2
    assert not list(tmp_path.iterdir())


def test_a_corrupt_unit_is_named_not_retrained(tmp_path, capsys, monkeypatch):
    import experiments.__main__ as experiments_cli

    monkeypatch.setattr(at, "train_runs", Counting(limit=0))
    table = table1.AUTHORS.with_profile("faithful", **TINY)
    assert table.name == "table1_authors_custom"
    path = tu.unit_path(tmp_path, table, "high_noise", 1)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    # Even when only another unit is asked: every unit is read before any trains.
    assert experiments_cli.main(["table1_authors", "--profile", "faithful", *TINY_FLAGS, "--table-seeds", "2",
                                 "--rows", "no_noise", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: unit={str(path)!r} is invalid: is not JSON") and err.count("\n") == 1, err
    assert path.read_text() == "{not json" and sorted(p.name for p in path.parent.iterdir()) == [path.name]
    with pytest.raises(InputError, match="high_noise.seed1.json"):
        tu.unit_status(tmp_path, table, 2)
    path.write_text("[1, 2]")  # JSON, but not a unit
    with pytest.raises(InputError, match="is not a unit of Table 1"):
        tu.read_unit(path)


def test_only_tables_other_than_the_published_one_train_in_units():
    assert not tu.uses_units(table1.AUTHORS) and not tu.uses_units(table1.EXPERIMENT)
    assert tu.uses_units(table1.AUTHORS.with_profile("faithful"))
    assert tu.uses_units(table1.AUTHORS.with_profile("cpu", width=8, mlp_width=64))  # table1_authors_w8
    assert tu.parse_rows("low_noise,no_noise") == ["low_noise", "no_noise"]
    assert tu.parse_seeds("4,0", 5) == [4, 0] and tu.parse_budget("0") == 0.0
    assert asg.profile("faithful") == table1.AUTHORS.with_profile("faithful").model
