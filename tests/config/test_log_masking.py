"""Logs never contain a full phone number or email address."""

from __future__ import annotations

import io
import logging

import pytest

from core.log_masking import MaskPersonalData, mask


@pytest.mark.parametrize(("text", "masked"), [
    ("Twilio refused +12125550181", "Twilio refused +*********81"),
    ("opt-out from jane.doe@example.com", "opt-out from j***@example.com"),
    ("raw phone (415) 555-0123 / 415.555.0123", "raw phone ********23 / ********23"),
    ("UK +447911123456", "UK +**********56"),
    ("cart 1234 at 2026-11-23 19:00:00, order 123456789012", "cart 1234 at 2026-11-23 19:00:00, order 123456789012"),
])
def test_mask(text, masked):
    assert mask(text) == masked


def test_the_configured_handler_masks_messages_arguments_and_tracebacks():
    console = next(handler for handler in logging.getLogger().handlers
                   if any(isinstance(item, MaskPersonalData) for item in handler.filters))
    stream, previous = io.StringIO(), console.stream
    console.setStream(stream)
    try:
        logger = logging.getLogger("recovery.test")
        logger.warning("Gate denied %s for %s", "+12125550181", "ana@example.com")
        try:
            raise ValueError("bad number +12125550181")
        except ValueError:
            logger.exception("while texting %s", "+12125550181")
    finally:
        console.setStream(previous)
    written = stream.getvalue()
    assert "+12125550181" not in written and "ana@example.com" not in written
    assert "Gate denied +*********81 for a***@example.com" in written
    assert "ValueError: bad number +*********81" in written
