"""The decision log as supervisors read it: numbers as people write them, the gate's codes in words, times in the
viewer's zone beside the recipient's, and a search that finds a number typed the way people type it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from compliance.models import AuditEvent, ContactDecision
from compliance.models.choices import Channel, ConsentBasis
from compliance.services import hours
from compliance.services.gate.reasons import REASON_WORDS, reason_words
from compliance.services.gate.rules import DNC_REASONS
from tests.factories import StoreFactory, UserFactory

GATE = Path(__file__).resolve().parents[2] / "compliance" / "services"
AT = datetime(2026, 12, 7, 22, 3, 9, tzinfo=UTC)


def _codes_the_gate_gives() -> set[str]:
    """Every code the gate writes: literal `deny("...")` and `reasons=("...",)` in its sources, the DNC lists',
    the calling hours' and one opt-out per channel, and the legal bases."""
    sources = "".join(path.read_text() for path in (GATE / "gate").glob("*.py"))
    literal = set(re.findall(r'deny\("([a-z0-9_]+)"', sources)) | set(re.findall(r'reasons=\("([a-z0-9_]+)",\)',
                                                                                  sources))
    hours_codes = {hours.UNKNOWN_LOCATION, hours.NO_CALLS_HOLIDAY, hours.NO_CALLS_SUNDAY, hours.OUTSIDE_CALLING_HOURS}
    opt_outs = {f"opted_out_{channel}" for channel in Channel.values} | {"opted_out_all"}
    return literal | set(DNC_REASONS.values()) | hours_codes | opt_outs | set(ConsentBasis.values)


def test_every_code_the_gate_gives_has_words():
    codes = _codes_the_gate_gives()

    assert len(codes) > 20  # the scan found the gate's codes
    assert codes - set(REASON_WORDS) == set()


def test_a_code_without_words_still_reads_as_words():
    assert reason_words("ebr_inquiry") == "Established business relationship (inquiry)"
    assert reason_words("some_new_code") == "Some new code"
    assert reason_words("") == ""


@pytest.fixture
def log(db, client):
    store = StoreFactory(name="Demo E-Bikes")
    client.force_login(UserFactory(username="alex", role="Admins"))
    ContactDecision.objects.create(
        at=AT, channel="voice", store=store, phone="+14155550101", allowed=False, requester="agent:maya",
        reasons=["dnc_national", "outside_calling_hours"], basis="ebr_inquiry",
        explanations=["The number is on the National registry (US) (national, version 3).", "It is 17:03 there."],
        recipient_timezones=["America/Los_Angeles"],
    )
    ContactDecision.objects.create(at=AT, channel="voice", store=store, phone="+12125550199", allowed=True,
                                   requester="agent:maya", basis="express_written")
    ContactDecision.objects.create(at=AT, channel="email", store=store, email="liam@example.com", allowed=True,
                                   requester="task:email")
    return client


def test_the_log_shows_national_numbers_words_and_the_viewers_and_recipients_times(log):
    log.cookies["tz"] = "America/New_York"

    page = log.get("/compliance/decisions/").content.decode()

    assert "(415) 555-0101" in page and 'data-e164="+14155550101"' in page
    assert "<strong>On the national Do-Not-Call list</strong>: The number is on the" in page
    assert "Outside calling hours" in page
    assert "Established business relationship (inquiry)" in page and ">ebr_inquiry<" not in page
    assert "Dec 7, 17:03 EST</time>" in page and "Dec 7, 14:03 PST in Los Angeles" in page
    assert "(UTC)" not in page


@pytest.mark.parametrize(("typed", "found"), [
    ("(415) 555-0101", {"+14155550101"}),
    ("+1 415-555-0101", {"+14155550101"}),
    ("415 555", {"+14155550101"}),  # as it is being typed
    ("555", {"+14155550101", "+12125550199"}),
    ("liam@", {""}),
])
def test_the_log_finds_a_number_as_people_type_it(log, typed, found):
    page = log.get("/compliance/decisions/", {"q": typed}, headers={"HX-Request": "true"})

    shown = {decision.phone for decision in page.context["page"].object_list}
    assert shown == found
    assert "<html" not in page.content.decode()


def test_the_csv_keeps_the_codes_in_one_column_and_the_words_in_another(log):
    download = log.get("/compliance/decisions/", {"q": "(415) 555-0101", "format": "csv"})

    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert download["Content-Type"].startswith("text/csv")
    assert [row["to"] for row in rows] == ["+14155550101"]
    assert rows[0]["reasons"] == "dnc_national outside_calling_hours"
    assert rows[0]["reasons in words"] == "On the national Do-Not-Call list; Outside calling hours"
    assert rows[0]["basis"] == "ebr_inquiry"
    assert rows[0]["basis in words"] == "Established business relationship (inquiry)"
    assert rows[0]["at"] == "2026-12-07T22:03:09+00:00" and rows[0]["recipient time zones"] == "America/Los_Angeles"
    assert AuditEvent.objects.filter(action="exported", summary="Downloaded contact decisions (1 rows)").exists()
