"""Imports flow one way: `accounts` <- `clinics` <- `project`. `clinics` may
import `accounts`; `accounts` never imports `clinics` (it asks through the
signals in accounts/signals.py instead). An import tucked inside a function
to dodge a cycle is the cycle, hidden, so those count too. Read from the
source with ast, so nothing needs importing to check it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(app: str) -> list[tuple[str, int, str]]:
    """(file, line, module) for every import anywhere in the app's Python files."""
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((str(path.relative_to(ROOT)), node.lineno, node.module))
    return found


def imports_of(app: str, target: str) -> list[tuple[str, int, str]]:
    return [row for row in imported_modules(app) if row[2] == target or row[2].startswith(f"{target}.")]


def test_accounts_never_imports_clinics():
    assert imports_of("accounts", "clinics") == []


def test_clinics_imports_accounts_only_at_the_top_of_a_module():
    """A function-level import of accounts would hide a cycle; clinics may
    import accounts, so it does so openly."""
    hidden = []
    for path in sorted((ROOT / "clinics").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("accounts"):
                        hidden.append((str(path.relative_to(ROOT)), inner.lineno))
    assert hidden == []


def test_the_walk_sees_imports():
    """Guards the two tests above against passing because they read nothing."""
    assert imports_of("clinics", "accounts")
    assert imports_of("accounts", "django")
