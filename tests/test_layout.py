"""The package's shape: no import cycles (lazy and type-only imports included), no module over
400 lines, and the flow's layers only import downwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rag"
MAX_LINES = 400
# Which layer each part of the package is; a module may import its own layer and those below.
LAYERS = {"config": 0, "model": 0, "text": 0, "names": 0, "digest": 1, "state": 1, "progress": 0, "index": 2, "ask": 3, "eval": 4, "app": 5, "api": 4, "retriever": 4, "__main__": 9}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every rag module the file imports, wherever the import stands (top, function, TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("rag"))
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(path, set(mods)) - {name} for name, path in mods.items()}


def test_no_module_imports_itself_back_through_others():
    edges = graph()
    # The package root re-exports the public API; nothing inside imports it.
    assert not [m for m, deps in edges.items() if "rag" in deps], "import rag.<module>, not the package root"
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in edges[node]:
            if dep == "rag" or dep.count(".") == 1 and dep in ("rag.index", "rag.ask", "rag.app", "rag.eval"):
                continue
            if state.get(dep) == 1:
                cycles.append(path[path.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = 2

    for name in edges:
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


@pytest.mark.parametrize("name", sorted(modules()))
def test_every_module_is_short_enough_to_read_in_one_sitting(name):
    lines = modules()[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def layer(name: str) -> int:
    parts = name.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else 9


def test_layers_only_import_downwards():
    upward = [(m, d) for m, deps in graph().items() for d in deps if d != "rag" and layer(d) > layer(m)]
    assert not upward, upward


def test_the_package_exports_exactly_its_lazily_imported_names():
    import rag

    assert sorted(rag.__all__) == sorted(rag._HOMES)
    for name in rag.__all__:
        assert getattr(rag, name) is not None
