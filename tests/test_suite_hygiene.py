"""The test suite's own layout: no module under tests/ imports a test module or a conftest.

A test module imported by another runs its module-level code twice under two names and drags its fixtures along
unseen; a name imported from a conftest bypasses pytest's fixture lookup. Shared helpers live in plain modules
(`tests/helpers.py`, `tests/<app>/helpers.py`, `tests/factories.py`, `tests/payloads.py`), fixtures in conftest
files, where pytest finds them by name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imported_modules(source: str, module: str) -> list[str]:
    """Every module an `import` or `from ... import` anywhere in `source` (inside functions too) may load; for
    `from package import name`, both the package and `package.name` (the name may be a submodule)."""
    package = module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return found


def forbidden(imported: str) -> bool:
    """A test module (tests/**/test_*.py) or a conftest, named as the module it would load."""
    last = imported.rpartition(".")[2]
    if not imported.startswith("tests.") or not (last.startswith("test_") or last == "conftest"):
        return False
    return (ROOT / Path(*imported.split("."))).with_suffix(".py").is_file()


def offences(path: Path) -> list[str]:
    module = module_name(path)
    return sorted({name for name in imported_modules(path.read_text(encoding="utf-8"), module) if forbidden(name)})


def test_no_module_under_tests_imports_a_test_module_or_a_conftest():
    found = {str(path.relative_to(ROOT)): names for path in sorted(TESTS.rglob("*.py")) if (names := offences(path))}

    assert found == {}, "move the shared names to a helpers module, factories or payloads; fixtures come by name"


@pytest.mark.parametrize("source", [
    "from tests.compliance.test_gate import add_entry",
    "from tests.agents import test_next_cart",
    "import tests.dashboards.test_metrics",
    "from tests.conftest import API_TOKEN",
    "from . import conftest",
    "def helper():\n    from .test_callbacks import world\n",
])
def test_the_guard_sees_every_way_of_importing_a_test_module_or_a_conftest(source):
    names = imported_modules(source, "tests.agents.test_example")

    assert any(forbidden(name) for name in names), names


@pytest.mark.parametrize("source", [
    "from tests.factories import CartFactory, add_entry",
    "from tests.agents.helpers import NOW, open_cart",
    "from tests import payloads",
    "from tests.reliability.twilio_stand_in import TwilioStandIn",
])
def test_the_guard_lets_helper_modules_be_imported(source):
    names = imported_modules(source, "tests.agents.test_example")

    assert not any(forbidden(name) for name in names), names
