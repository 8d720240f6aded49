"""results/README.md and the front page's verdict table are written from the arrays: regenerating
them from the published results changes nothing, and a stale number is caught."""
import shutil
from pathlib import Path

from reports import readme

ROOT = Path(__file__).resolve().parents[1]


def test_the_published_results_readme_and_verdicts_are_what_the_arrays_give():
    assert readme.main(["--results", str(ROOT / "results"), "--readme", str(ROOT / "README.md"), "--check"]) == 0
    assert (ROOT / "README.md").stat().st_size <= 8192  # a front page


def test_a_hand_edited_number_is_caught(tmp_path, capsys):
    shutil.copytree(ROOT / "results", tmp_path / "results", ignore=shutil.ignore_patterns("*_units", "figures"))
    front = tmp_path / "README.md"
    front.write_text((ROOT / "README.md").read_text())
    args = ["--results", str(tmp_path / "results"), "--readme", str(front)]
    page = tmp_path / "results" / "README.md"
    page.write_text(page.read_text().replace("| 0.5 | 8 | 1.949 |", "| 0.5 | 8 | 1.950 |", 1))
    assert readme.main(args + ["--check"]) == 1
    assert "results/README.md is out of date" in capsys.readouterr().err
    assert readme.main(args) == 0 and readme.main(args + ["--check"]) == 0
    assert "| 0.5 | 8 | 1.949 |" in page.read_text()
    front.write_text(front.read_text().replace("<!-- /verdicts -->", ""))
    from reports.__main__ import main as reports_cli

    assert reports_cli(["readme", *args]) == 2  # no markers: one line, nothing written
