"""The import layering of the design: each subpackage imports only what its row allows."""

from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "barrierspec"

# subpackage -> barrierspec modules it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "spec": {"barrierspec.errors"},
    "proofs": {"barrierspec.errors", "barrierspec.spec"},
    "adapters": {"barrierspec.errors"},
    "conformance": {"barrierspec.errors", "barrierspec.spec", "barrierspec.adapters"},
    "reference": {"barrierspec.errors"},
}
# third-party packages a subpackage may import
THIRD_PARTY: dict[str, set[str]] = {
    "spec": {"attrs"},
    "proofs": {"attrs", "z3"},
    "adapters": set(),
    "conformance": {"attrs", "hypothesis"},
    "reference": {"redis"},
}
STDLIB = set(__import__("sys").stdlib_module_names)


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "barrierspec":  # from barrierspec import adapters
                found.update(f"barrierspec.{alias.name}" for alias in node.names)
            else:
                found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_subpackage_imports_only_what_the_design_allows(package: str) -> None:
    offenders = []
    for path in sorted((SRC / package).rglob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "barrierspec":
                own = f"barrierspec.{package}"
                ok = (
                    name == own
                    or name.startswith(own + ".")
                    or any(name == a or name.startswith(a + ".") for a in ALLOWED[package])
                )
            else:
                ok = top in STDLIB or top in THIRD_PARTY[package]
            if not ok:
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert not offenders, f"layering broken in barrierspec.{package}: {offenders}"


def test_the_layering_test_sees_imports() -> None:
    # A guard that the walker itself works: errors.py imports threading, and the
    # conformance oracle imports the adapters package through "from barrierspec import".
    assert "threading" in _imports(SRC / "errors.py")
    assert "barrierspec.adapters" in _imports(SRC / "conformance" / "_oracle.py")
