"""No import cycles inside musicmixer.

Every module under src/musicmixer is imported (so a module that fails to
import fails here), then the import graph is built from each file's AST:
module-level and function-level imports alike, relative imports resolved.
A lazy import inside a function is still an edge: it hides a cycle from the
interpreter, not from the design.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import musicmixer

PACKAGE = "musicmixer"
ROOT = Path(musicmixer.__file__).resolve().parent
# Importing __main__ runs the CLI (it is still in the graph).
NOT_IMPORTABLE_HERE = {"musicmixer.__main__"}


def module_files() -> dict[str, Path]:
    """Dotted module name -> file, for every .py under the package."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of `from <level dots><target> import ...` in `module`."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules `module` imports anywhere in its file. `from x import y`
    counts as importing `x.y` when that is a module, else `x`. Imports under
    `if TYPE_CHECKING:` never run, so they are not edges (annotations only)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            node.body = []
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = (_resolve(module, is_package, node.level, node.module) if node.level
                      else node.module or "")
            names = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target
                     for alias in node.names]
        else:
            continue
        for name in names:
            # `import a.b.c` imports a, a.b and a.b.c; the deepest known one is the edge.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {name: imports_of(name, path, known) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (depth-first search)."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


@pytest.mark.parametrize("module", sorted(set(module_files()) - NOT_IMPORTABLE_HERE))
def test_every_module_imports(module):
    importlib.import_module(module)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other (directly or not), sorted."""
    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {node: reach(node) for node in graph}
    groups = {frozenset(n for n in reachable[node] if node in reachable[n])
              for node in graph if node in reachable[node]}
    return sorted(sorted(g) for g in groups)


def test_no_import_cycles():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        " -> ".join(find_cycle({n: graph[n] & set(group) for n in group}) or group) for group in found)


def test_the_graph_sees_function_level_and_relative_imports():
    graph = import_graph()
    # dispatcher imports local_onnx inside a function, relatively.
    assert "musicmixer.separation.local_onnx" in graph["musicmixer.separation.dispatcher"]
    assert "musicmixer.stems" in graph["musicmixer.interpreter.schema"]


def test_find_cycle_reports_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}, "d": {"d"}}) == [["a", "b"], ["d"]]


def test_type_checking_imports_are_not_edges(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import other\n"
                    "def f():\n    from pkg import third\n")
    known = {"pkg", "pkg.mod", "pkg.other", "pkg.third"}
    assert imports_of("pkg.mod", path, known) == {"pkg.third"}
