import pytest

from compliance.services.hours import clear_calling_rules_cache


@pytest.fixture(autouse=True)
def _fresh_calling_rules():
    """Calling rules are cached per process; tests that edit them must not leak."""
    clear_calling_rules_cache()
    yield
    clear_calling_rules_cache()
