"""Bad input from the field: every entry point, the command lines and the Python API, refuses it
with one line naming the field (exit status 2, or :class:`lamsim.InputError`), no traceback, and
nothing written. Also what the refusals make room for: numpy numbers, derived defaults, any
axis on a plot."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, NamedTuple, Optional

import numpy as np
import pytest

import experiments.__main__ as experiments_cli
import lamsim.__main__ as lamsim_cli
from lamsim import Axis, InputError, ResultsError, Setting, Sweep, load, run_sweep
from lamsim.gridworld.ours.settings import Config, GridSetting
from lamsim.runtime import devices, results
from lamsim.linear.sweep import plan_sweep

ROOT = Path(__file__).resolve().parents[1]


class Case(NamedTuple):
    """One bad input: ``argv`` for a command line (``cli``: lamsim or experiments; ``{tmp}``,
    ``{sweep}``, ``{frames}``, ``{file}`` are filled in) or ``call(ctx)`` for the API; ``field``
    must appear in the message; ``env`` is set for the call; ``limit`` (bytes) replaces the
    devices' memory, as on a machine that small."""

    kind: str
    field: str
    cli: Optional[str] = None
    argv: tuple = ()
    call: Optional[Callable] = None
    env: Optional[dict] = None
    limit: Optional[int] = None


def lamsim(kind, field, *argv, **kw):
    return Case(kind, field, cli="lamsim", argv=argv, **kw)


def experiments(kind, field, *argv, **kw):
    return Case(kind, field, cli="experiments", argv=argv, **kw)


def api(kind, field, call, **kw):
    return Case(kind, field, call=call, **kw)


SMALL = Setting(d_o=16, d_a=2, d_z=2, d_b=2, steps=2)
GIB = 2 ** 30

CASES = {
    # Numbers: any real number type is accepted (test_numbers_of_any_type_are_stored_plain); these are not numbers.
    "setting_int_field_given_a_fraction": api("numbers", "d_z=8.5", lambda c: Setting(d_z=np.float64(8.5))),
    "setting_int_field_given_a_bool": api("numbers", "d_z=True", lambda c: Setting(d_z=True)),
    "setting_number_given_a_1d_array": api("numbers", "chi=", lambda c: Setting(chi=np.array([0.5]))),
    "setting_number_given_text": api("numbers", "sigma='0.5'", lambda c: Setting(noise="iid", sigma="0.5")),
    "grid_number_given_numpy_nan": api("numbers", "correlation=nan",
                                       lambda c: GridSetting(correlation=np.float32("nan"))),
    "cli_sigma_nan": lamsim("numbers", "sigma=nan", "run", "--noise", "iid", "--sigma", "nan"),
    "cli_chi_inf": lamsim("numbers", "chi=inf", "run", "--chi", "inf"),
    # Ranges: what an integer meets (a 32-bit key, an int32 step counter, a 32-bit draw counter).
    "cli_seed_plus_seeds_overflows_the_key": lamsim("ranges", "seeds=2", "run", "--seed", "2147483647", "--seeds",
                                                    "2", "--steps", "10"),
    "sweep_seed_plus_seeds_overflows_the_key": api("ranges", "first_seed + seeds", lambda c: Sweep(
        "s", SMALL, seeds=2, first_seed=2 ** 31 - 1)),
    "setting_seed_beyond_the_key": api("ranges", "seed=2147483648", lambda c: Setting(seed=2 ** 31)),
    "setting_steps_beyond_int32": api("ranges", "steps=2147483648", lambda c: Setting(steps=np.int64(2 ** 31))),
    "setting_batch_beyond_the_draw_counter": api("ranges", "batch=1048576",
                                                 lambda c: Setting(d_o=8192, batch=2 ** 20)),
    "grid_steps_beyond_int32": api("ranges", "steps=2147483648", lambda c: Config(steps=2 ** 31)),
    "cli_steps_beyond_int32": lamsim("ranges", "steps=2147483648", "run", "--steps", "2147483648"),
    "experiments_no_seeds": experiments("ranges", "seeds=0", "fig3_left", "--seeds", "0", "--out", "{tmp}"),
    "experiments_authors_table_no_seeds": experiments("ranges", "table_seeds=0", "table1_authors", "--table-seeds", "0",
                                                      "--out", "{tmp}"),
    # table1_authors takes --profile cpu|faithful (faithful: trained in units); a panel profile is refused.
    "experiments_table_given_a_panel_profile": experiments("ranges", "profile='fast'", "table1_authors",
                                                           "--profile", "fast", "--out", "{tmp}"),
    "experiments_our_table_given_a_profile": experiments("ranges", "profile='faithful'", "table1",
                                                         "--profile", "faithful", "--out", "{tmp}"),
    "experiments_table_seeds_beyond_the_key": experiments("ranges", "table_seeds=3000000000", "table1",
                                                          "--table-seeds", "3000000000", "--out", "{tmp}"),
    "host_devices_not_a_number": lamsim("ranges", "LAMSIM_HOST_DEVICES='two'", "run", "--steps", "2",
                                        env={"LAMSIM_HOST_DEVICES": "two", "XLA_FLAGS": ""}),
    "cli_range_longer_than_a_sweep": lamsim("ranges", "d_z='1:100000000:1'", "sweep", "--vary", "d_z=1:100000000:1",
                                            "--out", "{tmp}/s"),
    # Memory: refused before anything is allocated, with the estimate, the limit and what to change.
    "cli_run_beyond_the_devices": lamsim("memory", "d_o=30000", "run", "--d-o", "30000", "--steps", "10",
                                         limit=16 * GIB),
    "run_sweep_beyond_any_machine": api("memory", "d_o=1000000", lambda c: run_sweep(
        Sweep("huge", Setting(d_o=10 ** 6, steps=2), seeds=1))),
    "plan_too_many_seeds_at_once": api("memory", "seeds=256", lambda c: plan_sweep(
        Sweep("seeds", Setting(d_o=512, steps=2), seeds=256), n_devices=1, backend="gpu", memory_limit=GIB)),
    "plan_batch_beyond_the_device": api("memory", "batch=268435456", lambda c: plan_sweep(
        Sweep("batch", Setting(profile="fast", stream="jax", batch=2 ** 28, steps=2), seeds=1), n_devices=1,
        backend="gpu", memory_limit=80 * GIB)),
    "experiments_plan_for_a_small_device": experiments("memory", "seeds=3", "fig3_left", "--dry-run", "--backend",
                                                       "gpu", "--devices", "1", "--device-memory", "0.001"),
    # lamsim plot: any axis on x or hue; a bad choice names the axes there are.
    "plot_x_not_an_axis": lamsim("plot", "x='chi' is invalid: must be one of the axes latent, d_z", "plot",
                                 "{sweep}", "--x", "chi", "--hue", "d_z"),
    "plot_hue_on_the_seeds": lamsim("plot", "hue='seed' is invalid: must be one of the axes latent, d_z", "plot",
                                    "{sweep}", "--x", "latent", "--hue", "seed"),
    "plot_y_not_an_array": lamsim("plot", "y='llo2' is invalid: must be one of the arrays llo", "plot", "{sweep}",
                                  "--x", "latent", "--hue", "d_z", "--y", "llo2"),
    "plot_x_is_hue": lamsim("plot", "hue='latent'", "plot", "{sweep}", "--x", "latent", "--hue", "latent"),
    "plot_wide_axis_left_over": lamsim("plot", "axis 'd_z' has 2 values", "plot", "{sweep}", "--x", "latent"),
    "plot_results_without_seeds": lamsim("plot", "path=", "plot", "{frames}", "--x", "action"),
    "plot_missing_file": lamsim("plot", "nothing.npz does not exist", "plot", "{tmp}/nothing.npz", "--x", "d_z"),
    # Derived defaults and fields that depend on each other: the message names both.
    "grid_dead_usage_conflicts_with_codes": api("derived", "dead_usage=0.1 is invalid: must lie in [0.0, 0.0625] "
                                                "(1 / codes with codes=16", lambda c: Config(codes=16, dead_usage=0.1)),
    "grid_dead_usage_negative": api("derived", "dead_usage=-0.1", lambda c: Config(dead_usage=-0.1)),
    "setting_d_z_beyond_d_o": api("derived", "d_z=200 is invalid: must be <= d_o=128", lambda c: Setting(d_z=200)),
    "setting_sigma_without_noise": api("derived", "sigma=0.5 is invalid: must be 0 when noise='none'",
                                       lambda c: Setting(sigma=np.float32(0.5))),
    "sweep_curve_beyond_steps": api("derived", "curve=5 is invalid: must be <= steps=2",
                                    lambda c: Sweep("c", SMALL, curve=5)),
    # Distributed start-up, in process (the subprocess cases are test_distributed_start_up_ends_within_seconds).
    "distributed_timeout_zero": experiments("distributed", "distributed_timeout=0", "fig3_left", "--distributed",
                                            "--distributed-timeout", "0", "--out", "{tmp}"),
    "distributed_process_count_not_a_number": experiments(
        "distributed", "JAX_NUM_PROCESSES='two'", "fig3_left", "--distributed", "--out", "{tmp}",
        env={"JAX_COORDINATOR_ADDRESS": "127.0.0.1:1", "JAX_NUM_PROCESSES": "two", "JAX_PROCESS_ID": "0"}),
    "distributed_process_id_beyond_count": experiments(
        "distributed", "JAX_PROCESS_ID=2 is invalid: must be an integer in [0, 1]", "fig3_left", "--distributed",
        "--out", "{tmp}", env={"JAX_COORDINATOR_ADDRESS": "127.0.0.1:1", "JAX_NUM_PROCESSES": "2",
                               "JAX_PROCESS_ID": "2"}),
    "distributed_address_without_port": experiments(
        "distributed", "JAX_COORDINATOR_ADDRESS='localhost'", "fig3_left", "--distributed", "--out", "{tmp}",
        env={"JAX_COORDINATOR_ADDRESS": "localhost", "JAX_NUM_PROCESSES": "2", "JAX_PROCESS_ID": "0"}),
    # One error type: the other Python entry points and command-line flags.
    "axis_of_an_unknown_field": api("api", "name='dz' is invalid: must be a field of Setting",
                                    lambda c: Axis.of("dz", [1, 2])),
    "axis_without_values": api("api", "values=() is invalid", lambda c: Axis.of("d_z", [])),
    "axis_of_mixed_coordinates": api("api", "values=(0.0, 'iid') is invalid",
                                     lambda c: Axis("noise", (0.0, "iid"), ({"sigma": 0.0}, {"noise": "iid"}))),
    "axis_named_like_a_metric": api("api", "name='llo' is invalid", lambda c: Axis("llo", (1,), ({"d_z": 1},))),
    "axis_overrides_the_seed": api("api", "overrides={'seed': 1} is invalid",
                                   lambda c: Axis("s", (1,), ({"seed": 1},))),
    "sweep_base_not_a_setting": api("api", "base={'d_z': 4} is invalid: must be a Setting",
                                    lambda c: Sweep("s", {"d_z": 4})),
    "sweep_axis_twice": api("api", "axes=['d_z', 'd_z'] is invalid",
                            lambda c: Sweep("s", SMALL, (Axis.of("d_z", [1]), Axis.of("d_z", [2])))),
    "sweep_negative_ridge": api("api", "ridge=-1.0 is invalid", lambda c: Sweep("s", SMALL, ridge=np.float32(-1))),
    "run_sweep_not_a_sweep": api("api", "sweep='fig3_left' is invalid: must be a Sweep",
                                 lambda c: run_sweep("fig3_left")),
    "run_sweep_zero_budget": api("api", "memory_budget=0 is invalid", lambda c: run_sweep(
        Sweep("s", SMALL, seeds=1), memory_budget=0)),
    "load_not_a_path": api("api", "path=None is invalid", lambda c: load(None)),
    "load_required_as_text": api("api", "required='llo' is invalid", lambda c: load(c["sweep"], required="llo")),
    "load_missing_file": api("api", "missing.npz does not exist", lambda c: load(Path(c["tmp"]) / "missing")),
    "grid_setting_augment_not_bool": api("api", "augment=1 is invalid", lambda c: GridSetting(augment=1)),
    "cli_vary_bool_field_with_a_word": lamsim("api", "learn_a='yes' is invalid: must be true or false", "sweep",
                                              "--vary", "learn_a=yes", "--out", "{tmp}/s"),
    "cli_out_inside_a_file": lamsim("api", "out=", "sweep", "--vary", "d_z=2,4", "--out", "{file}/s"),
    "cli_bench_no_configs": lamsim("api", "configs=0", "bench", "--configs", "0"),
    "experiments_unknown_name": experiments("api", "experiment='fig9'", "fig9", "--out", "{tmp}"),
    "experiments_negative_throughput": experiments("api", "throughput=-1.0", "fig3_left", "--dry-run",
                                                   "--throughput", "-1"),
    "experiments_no_devices": experiments("api", "devices=0", "fig3_left", "--dry-run", "--devices", "0"),
    "experiments_unknown_backend": experiments("api", "backend='metal'", "fig3_left", "--dry-run", "--backend",
                                               "metal"),
    "experiments_out_inside_a_file": experiments("api", "out=", "fig3_left", "--out", "{file}/results"),
}


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """Inputs the cases read, outside the folder that must stay empty: a sweep over a string axis
    and a number axis, a results file without seeds, and a plain file (not a folder)."""
    where = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    dims, coords = ("latent", "d_z", "seed"), {"latent": np.asarray(["true", "surrogate"]),
                                               "d_z": np.asarray([4, 8]), "seed": np.arange(3)}
    arrays = {"llo": rng.random((2, 2, 3)), "theory_llo": rng.random((2, 2, 3))}
    results.save(where, "sweep", arrays, dims, coords, {"config": {}})
    results.save(where, "frames", {"frame": rng.random((5, 4))}, ("action", "row"),
                 {"action": np.asarray(list("udlrn")), "row": np.arange(4)}, {})
    (where / "file").write_text("not a folder")
    return where


def test_there_are_enough_cases_of_each_kind():
    kinds = [c.kind for c in CASES.values()]
    assert len(CASES) >= 30
    for kind in ("numbers", "ranges", "memory", "plot", "derived", "distributed", "api"):
        assert kinds.count(kind) >= 3, kind


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_cleanly(name, tmp_path, elsewhere, capsys, monkeypatch):
    case = CASES[name]
    ctx = {"tmp": str(tmp_path), "sweep": str(elsewhere / "sweep.npz"), "frames": str(elsewhere / "frames.npz"),
           "file": str(elsewhere / "file")}
    before = sorted(p.name for p in elsewhere.iterdir())
    for key, value in (case.env or {}).items():
        monkeypatch.setenv(key, value)
    if case.limit is not None:
        monkeypatch.setattr(devices, "memory_limit", lambda *a, **k: case.limit)
    if case.cli:
        main = lamsim_cli.main if case.cli == "lamsim" else experiments_cli.main
        code = main([a.format(**ctx) for a in case.argv])
        out = capsys.readouterr()
        assert code == 2, out.err
        assert out.out == "" and "Traceback" not in out.err
        lines = out.err.splitlines()
        assert lines[-1].startswith("error: ") and case.field in lines[-1], out.err
    else:
        with pytest.raises(InputError) as err:
            case.call(ctx)
        message = str(err.value)
        assert case.field in message and "\n" not in message and "Traceback" not in message
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in elsewhere.iterdir()) == before


def test_the_error_type_is_a_value_error_and_results_errors_are_one():
    assert issubclass(InputError, ValueError) and issubclass(ResultsError, InputError)


def test_numbers_of_any_type_are_stored_plain():
    """numpy scalars and 0-d arrays are accepted where Python numbers are, and stored as Python
    numbers: the dict (and its JSON) is the one the Python numbers give."""
    given = Setting(d_z=np.int64(8), noise="iid", sigma=np.float32(0.5), chi=np.array(0.25), batch=np.array(64),
                    steps=np.int32(7), seed=np.uint8(3), noise_dist=np.str_("gaussian"))
    plain = Setting(d_z=8, noise="iid", sigma=0.5, chi=0.25, batch=64, steps=7, seed=3)
    assert given == plain and json.dumps(given.to_dict()) == json.dumps(plain.to_dict())
    assert [type(given.d_z), type(given.sigma), type(given.batch), type(given.noise_dist)] == [int, float, int, str]
    grid = GridSetting(correlation=np.float32(0.5), label_rate=np.array(0.01))
    assert grid.to_dict() == GridSetting(correlation=0.5, label_rate=0.01).to_dict()
    assert Config(steps=np.int64(10), learning_rate=np.float32(1e-3)).steps == 10
    sweep = Sweep("s", SMALL, (Axis.of("d_z", np.array([1, 2])),), seeds=np.int64(2), ridge=np.float64(0.0))
    assert sweep.seeds == 2 and sweep.axes[0].values == (1, 2) and type(sweep.axes[0].values[0]) is int
    with pytest.raises(InputError, match="learn_a"):
        Setting(learn_a=np.bool_(False))


def test_dead_usage_is_derived_from_codes():
    """The docstring's default, half the fair share 1/codes: the published 0.1 at five codes."""
    assert Config().dead_usage == 0.1
    assert Config(codes=16).dead_usage == 0.5 / 16
    assert Config(codes=16, dead_usage=0.05).dead_usage == 0.05


def test_plot_draws_strings_as_categories_and_numbers_as_numbers(elsewhere, tmp_path, capsys):
    sweep = str(elsewhere / "sweep.npz")
    for x, hue in (("latent", "d_z"), ("d_z", "latent")):
        png = tmp_path / f"{x}.png"
        assert lamsim_cli.main(["plot", sweep, "--x", x, "--hue", hue, "--out", str(png)]) == 0, capsys.readouterr()
        assert png.read_bytes()[:4] == b"\x89PNG"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("coordinator", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["no_coordinator", "peer_never_joins"])
def test_distributed_start_up_ends_within_seconds(coordinator, tmp_path):
    """Without the coordinator's variables, a one-line error naming them; with them set for two
    processes and only one started, a one-line error when --distributed-timeout has passed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_") and k != "XLA_FLAGS"}
    env["LAMSIM_HOST_DEVICES"] = "1"
    if coordinator:
        env.update(JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{_free_port()}", JAX_NUM_PROCESSES="2", JAX_PROCESS_ID="0")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "experiments", "fig3_left", "--distributed", "--quick",
                          "--distributed-timeout", "3", "--out", str(tmp_path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=30)
    elapsed = time.perf_counter() - t0
    assert out.returncode == 2 and elapsed < 30, out.stderr
    assert "Traceback" not in out.stderr and "Check failure" not in out.stderr
    error = out.stderr.splitlines()[-1]
    words = "distributed_timeout=3 s" if coordinator else "JAX_COORDINATOR_ADDRESS, JAX_NUM_PROCESSES, JAX_PROCESS_ID"
    assert error.startswith("error: ") and words in error, out.stderr
    assert list(tmp_path.iterdir()) == []
