"""One owner per table: only an app's own modules write its tables (docs/architecture.md, "Owners of the tables").
Another app asks the owner's services (`cart_park`, `cart_release`, `carts_suppress`...), and a statement that
spans several apps' tables is composed from each owner's fragment.

A static check, so it runs without a database: a raw `UPDATE`, `INSERT INTO` or `DELETE FROM` of another app's
table in any string, and a queryset write (`update`, `create`, `delete`, `bulk_*`...) reached from another app's
`Model.objects`. A `.save()` on an instance cannot be typed statically; review catches those.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
APPS_WITH_TABLES = ("recovery", "agents", "compliance", "dashboards")
# Packages checked: every one but `demo`, which seeds the demo by writing through every app's models (documented
# in docs/architecture.md), and `config`, which holds no business code.
CHECKED_PACKAGES = ("agents", "compliance", "core", "dashboards", "integrations", "recovery")
WRITE_METHODS = {"update", "create", "get_or_create", "update_or_create", "delete", "bulk_create", "bulk_update"}
RAW_WRITE = re.compile(r"\b(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+\"?(" + "|".join(APPS_WITH_TABLES) + r")_\w+")

# (module path, app whose table it writes): why it may.
ALLOWED = {
}


def _modules() -> list[Path]:
    return sorted(path for package in CHECKED_PACKAGES for path in (ROOT / package).rglob("*.py")
                  if "migrations" not in path.parts)


def _owners() -> dict[str, str]:
    """Model class name -> the app that owns its table."""
    owners: dict[str, str] = {}
    for label in APPS_WITH_TABLES:
        for model in apps.get_app_config(label).get_models():
            assert model.__name__ not in owners, f"two apps name a model {model.__name__}: make the check tell them"
            owners[model.__name__] = label
    return owners


def _root_model(node: ast.expr) -> str | None:
    """The `Model` of a chain `Model.objects.filter(...)...`, or None."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in ("objects", "_default_manager") and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _writes(path: Path, owners: dict[str, str]) -> list[tuple[int, str, str]]:
    """(line, app written, what) for each write of an app's table in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS:
            model = _root_model(node.func.value)
            if model in owners:
                found.append((node.lineno, owners[model], f"{model}.objects...{node.func.attr}()"))
    for line, text in _strings(tree):
        found += [(line, match[1], match[0]) for match in RAW_WRITE.finditer(text)]
    return found


def test_only_an_apps_own_modules_write_its_tables():
    owners = _owners()

    offenders = [f"{path.relative_to(ROOT)}:{line} writes {app}'s table: {what}"
                 for path in _modules() for line, app, what in _writes(path, owners)
                 if app != path.relative_to(ROOT).parts[0]
                 and (str(path.relative_to(ROOT)), app) not in ALLOWED]

    assert offenders == [], "ask the owning app's service (docs/architecture.md, owners of the tables)"


def test_the_check_finds_a_foreign_write(tmp_path):
    # given: a module of agents that updates recovery's carts both ways
    module = tmp_path / "sneaky.py"
    module.write_text('Cart.objects.filter(pk=1).update(status="lost")\n'
                      'SQL = "UPDATE recovery_cart SET status = \'lost\'"\n')

    # when
    found = {(app, what.split(".")[0]) for _, app, what in _writes(module, _owners())}

    # then
    assert found == {("recovery", "Cart"), ("recovery", "UPDATE recovery_cart")}


def test_the_allow_list_names_only_writes_that_exist():
    owners = _owners()
    present = {(str(path.relative_to(ROOT)), app) for path in _modules() for _, app, _ in _writes(path, owners)}

    assert present >= set(ALLOWED)
