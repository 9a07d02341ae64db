"""Fixtures for the reliability tests (their helpers are in helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def live_url(live_server) -> str:
    return live_server.url
