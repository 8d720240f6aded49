"""Every figure script draws from the published arrays (a copy of results/): arrays in, figures out.
The fast suite lays every figure out (each panel's lines from the arrays); rendering PNG and PDF files
runs with the slow tests."""
import importlib
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = sorted(p.stem for p in (ROOT / "figures").glob("*.py") if not p.stem.startswith("_"))


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    for path in (ROOT / "results").iterdir():
        if path.is_file() and path.suffix in (".npz", ".json"):
            shutil.copy(path, out / path.name)
    shutil.copytree(ROOT / "results" / "paper", out / "paper")
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_each_figure_lays_out_the_published_arrays(name, published, monkeypatch):
    module = importlib.import_module(f"figures.{name}")
    saved = []
    monkeypatch.setattr(module, "save", lambda fig, results_dir, figure: saved.append((figure, fig)))
    module.main(str(published))
    assert saved, name
    for figure, fig in saved:
        drawn = [ax for ax in fig.axes if ax.lines or ax.collections or ax.patches or ax.images]
        assert drawn and any(ax.get_title() or ax.get_xlabel() or ax.get_ylabel() for ax in drawn), figure
        plt.close(fig)


@pytest.mark.slow
@pytest.mark.parametrize("name", FIGURES)
def test_each_figure_renders_png_and_pdf(name, published):
    before = set((published / "figures").glob("*")) if (published / "figures").exists() else set()
    importlib.import_module(f"figures.{name}").main(str(published))
    drawn = set((published / "figures").glob("*")) - before
    assert drawn and {p.suffix for p in drawn} == {".png", ".pdf"}, name
    assert all(p.stat().st_size > 10_000 for p in drawn), name
