"""The architecture's one-way imports, and that the application is not installed."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPLICATION = ("experiments", "figures", "reports")


def _imported_modules(path: Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(root: Path, packages) -> dict:
    """Dotted module name -> path, for every .py file of ``packages`` under ``root``."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _module_level_imports(path: Path, name: str) -> set:
    """The modules importing ``name`` (at ``path``) imports: statements run at import time (the
    module's body, its class bodies, if/try blocks), not those inside functions. ``from X import y``
    names X and X.y (y may be a submodule); relative imports are resolved against ``name``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names, todo = set(), list(ast.parse(path.read_text(), filename=str(path)).body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        names |= _imported_by(node, package)
        todo.extend(ast.iter_child_nodes(node))
    return names


def _import_graph(root: Path, packages) -> dict:
    """Module -> the modules of ``packages`` it imports at module level."""
    modules = _modules(root, packages)
    return {name: sorted(m for m in _module_level_imports(path, name) if m in modules and m != name)
            for name, path in modules.items()}


def _cycle(graph: dict):
    """A cycle of ``graph`` as a list of modules (first == last), or None if it is acyclic."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for succ in graph.get(node, ()):
            if state.get(succ) == "open":
                return stack[stack.index(succ):] + [succ]
            if succ not in state:
                found = visit(succ)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_library_never_imports_the_application():
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p) if m.split(".")[0] in APPLICATION)
                 for p in sorted((ROOT / "lamsim").rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from reports.claims import CLAIMS\n    import figures.fig3\n")
    assert _imported_modules(bad) == {"reports.claims", "figures.fig3"}


#: The layers, bottom first: a module imports only modules of its own layer or a lower one
#: (docs/design.md Sec. 0). Data flows declare -> run -> judge -> draw; the library (run) sits below
#: the application, its runtime below its models.
LAYERS = (("lamsim.runtime", "lamsim.errors"), ("lamsim",), ("experiments",), ("reports",), ("figures",))
PROJECT = ("lamsim",) + APPLICATION


def _layer(module: str) -> int:
    """The rank of ``module`` in :data:`LAYERS` (its longest matching prefix)."""
    best = None
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    return best[0]


def _full_graph(root: Path, packages) -> dict:
    """Module -> the modules of ``packages`` it imports anywhere, function bodies included."""
    modules = _modules(root, packages)
    return {name: sorted(m for m in _all_imports(path, name) if m in modules and m != name)
            for name, path in modules.items()}


def test_no_import_cycle_among_the_project_modules():
    """lamsim/, experiments/, reports/ and figures/ import one another without a cycle, every import
    counted, those inside functions included."""
    graph = _full_graph(ROOT, PROJECT)
    assert "reports.checks" in graph["reports.claims"] and "experiments.runner" in graph["experiments.profile_check"]
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_imports_run_down_the_layers():
    """No module imports a higher layer (:data:`LAYERS`), at any level."""
    graph = _full_graph(ROOT, PROJECT)
    upward = {name: [m for m in found if _layer(m) > _layer(name)] for name, found in graph.items()}
    assert {k: v for k, v in upward.items() if v} == {}
    assert _layer("lamsim.runtime.results") < _layer("lamsim.linear.sweep") < _layer("experiments.runner") \
        < _layer("reports.claims") < _layer("figures.fig3")


def test_project_imports_sit_at_the_top_of_their_module():
    """Every import of a project module is at module level; one inside a function carries a comment
    on its line saying why."""
    hidden = []
    for name, path in _modules(ROOT, PROJECT).items():
        lines = path.read_text().splitlines()
        tree = ast.parse(path.read_text(), filename=str(path))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for node in ast.walk(fn):
                    if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
                            m.split(".")[0] in PROJECT for m in _imported_by(node, name.split(".")[:-1])) \
                            and "#" not in lines[node.lineno - 1]:
                        hidden.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert hidden == []


def test_the_cycle_check_sees_a_cycle(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("class B:\n    from . import c\n")  # a class body runs at import time
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("def f():\n    import pkg.a\n")  # inside a function: not at import time
    (package / "e.py").write_text("import pkg.d\n")
    graph = _import_graph(tmp_path, ("pkg",))
    assert graph["pkg.d"] == [] and graph["pkg.e"] == ["pkg.d"]
    assert _cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (package / "c.py").write_text("def g():\n    import pkg.a\n")
    assert _cycle(_import_graph(tmp_path, ("pkg",))) is None


def test_reports_imports_no_matplotlib():
    """The judging layer writes Markdown: no reports/ module imports matplotlib or figures/, at any
    level, and importing all of them loads no matplotlib."""
    reports = _modules(ROOT, ("reports",))
    offenders = {name: sorted(m for m in _imported_modules(path) if m.split(".")[0] in ("matplotlib", "figures"))
                 for name, path in reports.items()}
    assert {k: v for k, v in offenders.items() if v} == {}
    code = f"import sys\nimport {', '.join(sorted(reports))}\nprint('matplotlib' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert loaded.returncode == 0 and loaded.stdout.strip() == "False", loaded.stderr


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


def _all_imports(path: Path, name: str) -> set:
    """Every module ``name`` (at ``path``) imports, at any level (functions included); ``from X
    import y`` names X and X.y; relative imports are resolved against ``name``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names |= _imported_by(node, package)
    return names


def _imported_by(node, package: list) -> set:
    """The modules an import statement ``node`` names (none for other nodes); ``from X import y``
    names X and X.y; a relative import is resolved against ``package``."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if not isinstance(node, ast.ImportFrom):
        return set()
    base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else [])) \
        if node.level else node.module
    return {base} | {f"{base}.{alias.name}" for alias in node.names}


PROTOCOLS = ("lamsim.gridworld.authors", "lamsim.gridworld.ours")


def test_the_two_table1_protocols_never_import_each_other():
    """lamsim/gridworld/authors (the published Table 1) and lamsim/gridworld/ours (our variant)
    share only lamsim.gridworld.grid and lamsim.gridworld.layers: neither imports the other, at any
    level, and both import the shared modules."""
    modules = _modules(ROOT, ("lamsim",))
    seen = {}
    for protocol in PROTOCOLS:
        other = next(p for p in PROTOCOLS if p != protocol)
        inside = {name: path for name, path in modules.items() if name == protocol or name.startswith(protocol + ".")}
        assert {f"{protocol}.{m}" for m in ("world", "settings", "networks", "train", "evaluate")} <= set(inside)
        imports = {name: _all_imports(path, name) for name, path in inside.items()}
        offenders = {name: sorted(m for m in found if m == other or m.startswith(other + "."))
                     for name, found in imports.items()}
        assert {k: v for k, v in offenders.items() if v} == {}
        seen[protocol] = set().union(*imports.values())
    for protocol in PROTOCOLS:
        assert {"lamsim.gridworld.grid", "lamsim.gridworld.layers"} <= seen[protocol], protocol


def test_the_protocol_check_sees_a_crossing(tmp_path):
    package = tmp_path / "pkg" / "ours"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from ..authors import world\n")  # relative, in a function
    (package / "b.py").write_text("from pkg import authors\n")
    assert "pkg.authors.world" in _all_imports(package / "a.py", "pkg.ours.a")
    assert "pkg.authors" in _all_imports(package / "b.py", "pkg.ours.b")
