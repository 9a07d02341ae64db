"""Fixtures of the dashboards' tests: building the roll-ups the way beat does, since a read never builds them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from dashboards.rollups import rollups_refresh


@pytest.fixture
def build_rollups() -> Callable[..., int]:
    """Rebuild every day the dashboard reads as of `now` (None: the clock's now), as beat and `rollup_dashboards`
    do; call it once the test's rows exist and before reading the numbers."""

    def build(now: datetime | None = None) -> int:
        return rollups_refresh(now=now)

    return build
