"""The fences of the layout (README "Data flow"): each library is imported
by one station only, and a library's private modules by one module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scheduler"

#: Library -> the only folder of the package that may import it.
ONLY_IN = {
    "ortools": "model",
    "openpyxl": "io",
    "pandas": "io",
}
#: The one module that may import a library's private modules.
PRIVATE_API = {"openpyxl": "io/write/openpyxl_internals.py"}


def _imports(path: Path) -> list[str]:
    """Every module a file imports, at any depth (functions included)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.append(node.module or "")
    return found


def _modules() -> list[tuple[str, list[str]]]:
    return [
        (p.relative_to(PACKAGE).as_posix(), _imports(p))
        for p in sorted(PACKAGE.rglob("*.py"))
    ]


@pytest.mark.parametrize("library", sorted(ONLY_IN))
def test_library_imported_by_its_station_only(library):
    home = ONLY_IN[library] + "/"
    outside = [
        (rel, name)
        for rel, names in _modules()
        for name in names
        if name.split(".")[0] == library and not rel.startswith(home)
    ]
    assert outside == [], f"{library} belongs in scheduler/{home}"


def test_private_modules_only_in_their_fence():
    wrong = [
        (rel, name)
        for rel, names in _modules()
        for name in names
        if any(part.startswith("_") for part in name.split(".")[1:])
        and name.split(".")[0] != "scheduler"
        and PRIVATE_API.get(name.split(".")[0]) != rel
    ]
    assert wrong == []


def test_the_scan_sees_imports():
    """The scan finds what it must police (else the tests above pass for
    nothing)."""
    by_file = dict(_modules())
    assert "ortools.sat.python" in by_file["model/solve.py"]
    assert "openpyxl.worksheet._writer" in by_file[PRIVATE_API["openpyxl"]]
    assert "pandas" in by_file["io/read/attendance.py"]
