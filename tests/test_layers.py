"""The apps stack one way, and imports sit at the top of the file.

Bottom up: llmops (settings, lib) → registry → lifecycle → discovery → operator_app. A module
may import its own app and the apps below it, never one above: read over the `ast` of every
module of every app (migrations and commands included), so a new upward import fails here
whatever test exercises it. A first-party import inside a function is allowed only where it
breaks a real cycle, and the line before it must say so in a comment that starts "Imported here".
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["llmops", "registry", "lifecycle", "discovery", "operator_app"]
RANK = {app: rank for rank, app in enumerate(LAYERS)}


def _modules():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield app, path


def _imports(tree):
    """(module imported, line, inside a function?) for every absolute import in the tree."""
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((alias.name, child.lineno, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                out.append((child.module, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return out


def _first_party(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in RANK else None


def test_it_checks_every_app_module():
    assert sum(1 for _ in _modules()) > 80


def _upward(app: str, name: str, source: str) -> list[str]:
    found = []
    for module, line, _inside in _imports(ast.parse(source, name)):
        target = _first_party(module)
        if target and RANK[target] > RANK[app]:
            found.append(f"{name}:{line} ({app}) imports {module} ({target})")
    return found


def test_no_module_imports_an_app_above_its_own():
    upward = [v for app, path in _modules() for v in _upward(app, str(path.relative_to(ROOT)), path.read_text())]
    assert not upward, "upward imports between apps:\n" + "\n".join(upward)


def test_first_party_imports_sit_at_the_top_unless_a_comment_says_which_cycle_they_break():
    hidden = []
    for _app, path in _modules():
        lines = path.read_text().splitlines()
        for module, line, inside in _imports(ast.parse("\n".join(lines), str(path))):
            if not inside or not _first_party(module):
                continue
            before = [text.strip() for text in lines[max(line - 4, 0): line - 1] if text.strip()]
            if not any(text.startswith("# Imported here") for text in before):
                hidden.append(f"{path.relative_to(ROOT)}:{line} imports {module} inside a function")
    assert not hidden, "function-level first-party imports without a reason:\n" + "\n".join(hidden)


@pytest.mark.parametrize("source,expected", [
    ("from operator_app.models import Decision\n",
     ["lifecycle/x.py:1 (lifecycle) imports operator_app.models (operator_app)"]),
    ("def f():\n    import discovery.services\n", ["lifecycle/x.py:2 (lifecycle) imports discovery.services (discovery)"]),
    ("from registry.models import RegisteredModel\nimport llmops.lib.text\nfrom lifecycle import taxonomy\n", []),
])
def test_it_would_catch_an_upward_import(source, expected):
    assert _upward("lifecycle", "lifecycle/x.py", source) == expected
