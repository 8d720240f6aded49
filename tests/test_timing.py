"""The panel-timing command's input checks (timing itself is measured, never tested)."""
import pytest

from experiments.timing import main


@pytest.mark.parametrize("argv, words", [
    (["--profiles", "fast", "bogus"], "profile='bogus' is invalid: must be one of exact, fast, faithful"),
    (["--panels", "fig9"], "panel='fig9' is invalid: must be one of fig3_left"),
    (["--seeds", "0"], "seeds=0 is invalid: must be an integer >= 1"),
])
def test_bad_input_is_a_clear_error(argv, words, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    assert words in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written
