"""No import cycles among oms_plan's and oms_solvers' modules.

Every import counts as an edge, also one inside a function (a deferred import hides a cycle,
it does not remove it); only imports under ``if TYPE_CHECKING:`` do not, since they never
run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"oms_plan": ROOT / "oms_plan", "oms_solvers": ROOT / "solvers" / "oms_solvers"}


def _module_name(package: str, root: Path, path: Path) -> str:
    parts = [package, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(package, root, path): path
        for package, root in SOURCES.items()
        for path in sorted(root.rglob("*.py"))
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module named by an import that runs (at any depth, TYPE_CHECKING blocks aside)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # ``from pkg import sub`` imports the submodule pkg.sub when there is one.
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> nx.DiGraph:
    """Module → the project modules it imports (a package import also runs its parents)."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target in _imports(tree, name, path.name == "__init__.py"):
            if target in modules and target != name:
                graph.add_edge(name, target)
    return graph


def test_the_graph_sees_deferred_imports() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import a.hidden\n"
        "def f():\n    from a import b\n    from .c import d\n"
    )
    found = _imports(tree, "a.x", is_package=False)
    assert {"a", "a.b", "a.c", "a.c.d"} <= found
    assert "a.hidden" not in found


def test_no_import_cycles() -> None:
    cycles = [c for c in nx.simple_cycles(import_graph()) if len(c) > 1]
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join([*c, c[0]]) for c in cycles)
