"""The architecture's one-way imports, and that the application is not installed."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPLICATION = ("experiments", "figures")


def _imported_modules(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_library_never_imports_the_application():
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p) if m.split(".")[0] in APPLICATION)
                 for p in sorted((ROOT / "lamsim").rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from experiments.claims import CLAIMS\n    import figures.fig3\n")
    assert _imported_modules(bad) == {"experiments.claims", "figures.fig3"}


def test_experiments_is_not_an_installed_package(tmp_path):
    outside = subprocess.run([sys.executable, "-c", "import experiments"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60)
    assert outside.returncode != 0 and "No module named 'experiments'" in outside.stderr
    inside = subprocess.run([sys.executable, "-c", "import experiments, lamsim"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert inside.returncode == 0, inside.stderr


def test_the_runtime_is_the_bottom_layer():
    """lamsim/runtime (devices, results, progress) knows no model: it imports neither the linear LAM
    nor the grid world."""
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p)
                                                  if m.startswith(("lamsim.linear", "lamsim.gridworld")))
                 for p in sorted((ROOT / "lamsim" / "runtime").rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}
