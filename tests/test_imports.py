"""One dependency direction: no module imports a project module from inside a function, where an import hides a
cycle between apps from the reader and from import-linter's layers contract (pyproject.toml, `make lint`), and no
module imports another module's private (`_name`) names.

A few imports must stay inside a function for a reason other than a cycle; each is listed below with that reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("agents", "compliance", "config", "core", "dashboards", "demo", "integrations", "recovery")

# (module path, imported module): why it cannot be imported at module level.
ALLOWED_INSIDE_FUNCTIONS = {
    # AppConfig.ready(): the app registry is ready only then, and these modules import the app's models.
    ("agents/apps.py", "agents.services.erasure"),
    ("agents/apps.py", "compliance.services.erasure"),
    ("compliance/apps.py", "compliance"),
    ("recovery/apps.py", "compliance.selectors"),
    ("recovery/apps.py", "compliance.services.erasure"),
    ("recovery/apps.py", "compliance.services.scrub"),
    ("recovery/apps.py", "recovery"),
    ("recovery/apps.py", "recovery.services.erasure"),
    ("recovery/apps.py", "recovery.tasks"),
    # A service queues its own app's Celery task after commit, and the task module imports that service: the task
    # is imported when the service runs, not when the worker (which imports the tasks first) loads the service.
    ("recovery/services/carts.py", "recovery.tasks"),
    ("recovery/services/inbox.py", "recovery.tasks"),
}


def _project_modules() -> list[Path]:
    return sorted(path for package in PROJECT_PACKAGES for path in (ROOT / package).rglob("*.py")
                  if "migrations" not in path.parts)


def _imported_module(node: ast.ImportFrom | ast.Import, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        return [node.module or ""]
    package = list(path.relative_to(ROOT).with_suffix("").parts)
    base = package[:-node.level] if path.name != "__init__.py" else package[:len(package) - node.level + 1]
    return [".".join(base + ([node.module] if node.module else []))]


def _imports_inside_functions(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found += [(node.lineno, name) for name in _imported_module(node, path)
                          if name.split(".")[0] in PROJECT_PACKAGES]
    return found


def test_no_project_module_is_imported_inside_a_function_but_the_allowed_ones():
    modules = _project_modules()

    offenders = [f"{path.relative_to(ROOT)}:{line} imports {name}" for path in modules
                 for line, name in _imports_inside_functions(path)
                 if (str(path.relative_to(ROOT)), name) not in ALLOWED_INSIDE_FUNCTIONS]

    assert len(modules) > 150
    assert offenders == [], "import project modules at module level (see docs/architecture.md, the layers)"


def test_the_allow_list_names_only_imports_that_exist():
    present = {(str(path.relative_to(ROOT)), name) for path in _project_modules()
               for _, name in _imports_inside_functions(path)}

    assert present >= ALLOWED_INSIDE_FUNCTIONS


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path in _project_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and _imported_module(node, path)[0].split(".")[0] in PROJECT_PACKAGES:
                offenders += [f"{path.relative_to(ROOT)}:{node.lineno} imports {alias.name}" for alias in node.names
                              if alias.name.startswith("_") and not alias.name.startswith("__")]

    assert offenders == []
