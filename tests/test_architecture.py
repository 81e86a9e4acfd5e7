"""The house rules of DESIGN.md, read from the source with ``ast`` (nothing is imported).

Every ``import`` and ``from … import`` counts, wherever it is written: at module level,
inside a function, under ``if TYPE_CHECKING:``; so does ``importlib.import_module("…")``
with a literal name. An import names the most specific module of ours that exists
(``from kiosk.ui import app`` → ``kiosk.ui.app`` when that is a module, else
``kiosk.ui``); a package's ``__init__`` is a module like any other.

Checked: who may import whom (ektp and hardware import nothing of ours; central only
ektp; edge_controller and kiosk only ektp and hardware; provisioning only ektp and the
config models of kiosk, edge_controller and hardware), no import circle between modules, and no
product source file over 400 lines. A failure lists each offending import as
``file:line`` or each circle with the imports that close it.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("ektp", "hardware", "kiosk", "edge_controller", "central", "provisioning")
OURS = (*PRODUCT, "demo", "bench", "tests")
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    target: str  # the module of ours it names
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}: {self.importer} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def modules_of(packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of these packages, by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((REPO / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                found[module_name(path)] = path
    return found


def sources() -> dict[str, Path]:
    """Every module of the product packages (the importers checked here)."""
    return modules_of(PRODUCT)


def _named_modules(node: ast.AST, importer: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(dotted name, line) for each module this node may import; ``a.b`` for
    ``from a import b`` (resolved to ``a`` later when ``a.b`` is not a module)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, node.lineno
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = importer.split(".")
            if not is_package:
                package.pop()
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        for alias in node.names:
            yield (f"{base}.{alias.name}" if alias.name != "*" else base), node.lineno
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
        == "import_module"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        yield node.args[0].value, node.lineno


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The most specific module of ours that ``name`` names; None if not ours."""
    parts = name.split(".")
    if parts[0] not in OURS:
        return None
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return name.split(".", maxsplit=1)[0]  # ours, though no such module exists


@functools.cache
def imports() -> tuple[Import, ...]:
    known = modules_of(OURS)
    found: set[Import] = set()
    for importer, path in sources().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for name, line in _named_modules(node, importer, is_package):
                target = _resolve(name, known)
                if target is not None and target != importer:
                    found.add(Import(importer, target, path, line))
    return tuple(sorted(found, key=lambda i: (str(i.path), i.line, i.target)))


def _top(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def _allowed_for_provisioning(target: str) -> bool:
    return _top(target) in ("ektp", "provisioning") or target.startswith(
        (
            "kiosk.config",
            "edge_controller.config",
            "hardware.config",
            "hardware.smartcard",  # operator enrol: the technician's USB card reader
            "hardware.errors",
        )
    )


MAY_IMPORT = {
    "ektp": lambda target: _top(target) == "ektp",
    "hardware": lambda target: _top(target) == "hardware",
    "central": lambda target: _top(target) in ("central", "ektp"),
    "edge_controller": lambda target: _top(target) in ("edge_controller", "ektp", "hardware"),
    "kiosk": lambda target: _top(target) in ("kiosk", "ektp", "hardware"),
    "provisioning": _allowed_for_provisioning,
}
RULES = {
    "ektp": "ektp imports nothing of ours",
    "hardware": "hardware imports nothing of ours",
    "central": "central imports only ektp",
    "edge_controller": "edge_controller imports only ektp and hardware (never kiosk or central)",
    "kiosk": "kiosk imports only ektp and hardware (never edge_controller or central)",
    "provisioning": "provisioning imports only ektp and the config models of kiosk, "
    "edge_controller and the booth's devices (kiosk.config*, edge_controller.config*, "
    "hardware.config) and the smart-card reader for operator enrol (hardware.smartcard*, "
    "hardware.errors)",
}


@pytest.mark.parametrize("package", PRODUCT)
def test_each_package_imports_only_what_it_may(package: str) -> None:
    allowed = MAY_IMPORT[package]
    wrong = [i for i in imports() if _top(i.importer) == package and not allowed(i.target)]
    assert not wrong, f"{RULES[package]}; {len(wrong)} imports break it:\n" + "\n".join(
        map(str, wrong)
    )


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def test_strongly_connected_finds_a_circle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["d"], ["e"]]


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {module: set() for module in sources()}
    for i in imports():
        if i.target in graph:
            graph[i.importer].add(i.target)
    circles = [c for c in strongly_connected(graph) if len(c) > 1]
    report = []
    for circle in circles:
        members = set(circle)
        closing = [i for i in imports() if i.importer in members and i.target in members]
        report.append(
            f"circle of {len(circle)} modules: {', '.join(circle)}\n"
            + "\n".join(f"    {i}" for i in closing)
        )
    assert not circles, f"{len(circles)} import circles:\n" + "\n".join(report)


def test_no_product_source_file_over_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for path in sources().values()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"files over {MAX_LINES} lines: {long}"
