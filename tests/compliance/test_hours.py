"""Calling hours in the recipient's local time: window edges federal and per state, Sunday and
holiday bans, where the recipient may be (address vs number, split area codes, multi-zone
states), DST days, next_allowed_at, failures (which deny), and the seeded rule data."""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.cache import caches
from django.db import connection

from compliance.models import CallingRule
from compliance.services import hours
from compliance.services.hours import (
    COUNTRY_ZONES,
    RecipientLocation,
    calling_hours_check,
    clear_calling_rules_cache,
    recipient_locations,
)

pytestmark = pytest.mark.django_db

NY = "+12125550100"
FL = "+13055550150"  # Miami: Eastern
FL_EASTERN_850 = "+18502221234"  # Tallahassee
FL_CENTRAL_850 = "+18504441234"  # Pensacola
OK = "+14055550100"
MD = "+14105550100"
CT = "+12035550100"
TX = "+12145550100"  # Dallas: Central
AL = "+12055550100"
LA = "+15045550100"
MS = "+16015550100"
IDAHO = "+12085550100"  # America/Boise and America/Los_Angeles
UK = "+442079460958"
TORONTO = "+14165550100"
TOLL_FREE = "+18005550100"
INVALID = "+15555550100"

EASTERN, CENTRAL = "America/New_York", "America/Chicago"
RULES_JSON = Path(__file__).resolve().parents[2] / "compliance" / "data" / "calling_rules.json"


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    clear_calling_rules_cache()
    yield
    clear_calling_rules_cache()


def local(zone: str, stamp: str, *, fold: int = 0) -> datetime:
    """An aware datetime for a wall-clock time in `zone`."""
    return datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo(zone), fold=fold)


def utc(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


def check(phone: str, at: datetime, *, country: str = "", region: str = ""):
    locations = recipient_locations(phone=phone, country=country, region=region)
    return calling_hours_check(locations=locations, at=at)


def edit_rule(country: str, region: str, **changes) -> None:
    rule = CallingRule.objects.get(country=country, region=region)
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.full_clean()
    rule.save()


# 2026-07-15 is a Wednesday, 2026-07-11 a Saturday, 2026-07-12 a Sunday.
WINDOW_EDGES = [
    # (phone, zone, local time, allowed, reasons)
    (NY, EASTERN, "2026-07-15 07:59", False, ("outside_calling_hours",)),
    (NY, EASTERN, "2026-07-15 08:00", True, ()),
    (NY, EASTERN, "2026-07-15 20:59", True, ()),
    (NY, EASTERN, "2026-07-15 21:00", False, ("outside_calling_hours",)),
    (NY, EASTERN, "2026-07-15 20:59:59", True, ()),
    (FL, EASTERN, "2026-07-15 07:59", False, ("outside_calling_hours",)),
    (FL, EASTERN, "2026-07-15 08:00", True, ()),
    (FL, EASTERN, "2026-07-15 19:59", True, ()),
    (FL, EASTERN, "2026-07-15 20:00", False, ("outside_calling_hours",)),
    (OK, CENTRAL, "2026-07-15 07:59", False, ("outside_calling_hours",)),
    (OK, CENTRAL, "2026-07-15 19:59", True, ()),
    (OK, CENTRAL, "2026-07-15 20:00", False, ("outside_calling_hours",)),
    (MD, EASTERN, "2026-07-15 08:00", True, ()),
    (MD, EASTERN, "2026-07-15 19:59", True, ()),
    (MD, EASTERN, "2026-07-15 20:00", False, ("outside_calling_hours",)),
    (CT, EASTERN, "2026-07-15 08:59", False, ("outside_calling_hours",)),
    (CT, EASTERN, "2026-07-15 09:00", True, ()),
    (CT, EASTERN, "2026-07-15 19:59", True, ()),
    (CT, EASTERN, "2026-07-15 20:00", False, ("outside_calling_hours",)),
    (TX, CENTRAL, "2026-07-15 08:59", False, ("outside_calling_hours",)),
    (TX, CENTRAL, "2026-07-15 09:00", True, ()),
    (TX, CENTRAL, "2026-07-15 20:59", True, ()),
    (TX, CENTRAL, "2026-07-15 21:00", False, ("outside_calling_hours",)),
    (TX, CENTRAL, "2026-07-11 09:00", True, ()),
    (TX, CENTRAL, "2026-07-12 11:59", False, ("outside_calling_hours",)),
    (TX, CENTRAL, "2026-07-12 12:00", True, ()),
    (TX, CENTRAL, "2026-07-12 20:59", True, ()),
    (TX, CENTRAL, "2026-07-12 21:00", False, ("outside_calling_hours",)),
    (AL, CENTRAL, "2026-07-11 07:59", False, ("outside_calling_hours",)),
    (AL, CENTRAL, "2026-07-11 08:00", True, ()),
    (AL, CENTRAL, "2026-07-11 19:59", True, ()),
    (AL, CENTRAL, "2026-07-11 20:00", False, ("outside_calling_hours",)),
    (LA, CENTRAL, "2026-07-11 19:59", True, ()),
    (LA, CENTRAL, "2026-07-11 20:00", False, ("outside_calling_hours",)),
    (MS, CENTRAL, "2026-07-11 20:59", True, ()),
    (MS, CENTRAL, "2026-07-11 21:00", False, ("outside_calling_hours",)),
    # Sunday bans
    (AL, CENTRAL, "2026-07-12 12:00", False, ("no_calls_sunday",)),
    (LA, CENTRAL, "2026-07-12 12:00", False, ("no_calls_sunday",)),
    (MS, CENTRAL, "2026-07-12 12:00", False, ("no_calls_sunday",)),
    (NY, EASTERN, "2026-07-12 12:00", True, ()),
    (FL, EASTERN, "2026-07-12 12:00", True, ()),
    # Public holidays in Alabama and Louisiana only
    (AL, CENTRAL, "2026-12-25 12:00", False, ("no_calls_holiday",)),
    (LA, CENTRAL, "2026-12-25 12:00", False, ("no_calls_holiday",)),
    (MS, CENTRAL, "2026-12-25 12:00", True, ()),
    (NY, EASTERN, "2026-12-25 12:00", True, ()),
    (AL, CENTRAL, "2026-07-03 12:00", False, ("no_calls_holiday",)),  # July 4th (a Saturday), observed Friday
    (LA, CENTRAL, "2026-07-03 12:00", False, ("no_calls_holiday",)),
    (AL, CENTRAL, "2026-04-27 12:00", False, ("no_calls_holiday",)),  # Confederate Memorial Day (AL only)
    (LA, CENTRAL, "2026-04-27 12:00", True, ()),
    (LA, CENTRAL, "2026-02-17 12:00", False, ("no_calls_holiday",)),  # Mardi Gras (LA only)
    (AL, CENTRAL, "2026-02-17 12:00", True, ()),
    (AL, CENTRAL, "2022-12-25 12:00", False, ("no_calls_holiday", "no_calls_sunday")),  # Christmas on a Sunday
]


@pytest.mark.parametrize(("phone", "zone", "stamp", "allowed", "reasons"), WINDOW_EDGES)
def test_window_edges_sundays_and_holidays(phone, zone, stamp, allowed, reasons):
    # given
    at = local(zone, stamp)

    # when
    verdict = check(phone, at)

    # then
    assert verdict.allowed is allowed
    assert verdict.reasons == reasons
    assert len(verdict.explanations) == len(reasons)
    assert (verdict.next_allowed_at is None) is allowed


@pytest.mark.parametrize(
    ("phone", "region", "cap", "rules_applied"),
    [
        (NY, "", None, ("US",)),
        (FL, "", 3, ("US", "US-FL")),
        (OK, "", 3, ("US", "US-OK")),
        (MD, "", 3, ("US", "US-MD")),
        (TX, "", None, ("US", "US-TX")),
        ("", "FL", 3, ("US", "US-FL")),
        (UK, "", None, ("GB",)),
    ],
)
def test_state_caps_and_rules_applied(phone, region, cap, rules_applied):
    # given
    at = utc("2026-07-15 16:00")

    # when
    verdict = check(phone, at, country="US" if region else "", region=region)

    # then
    assert verdict.max_calls_per_24h == cap
    assert verdict.rules_applied == rules_applied


@pytest.mark.parametrize(
    ("phone", "country", "region", "expected"),
    [
        (FL_EASTERN_850, "", "", [("US", "FL", EASTERN)]),
        (FL_CENTRAL_850, "", "", [("US", "FL", CENTRAL)]),
        (FL_CENTRAL_850, "US", "", [("US", "FL", CENTRAL)]),
        (IDAHO, "", "", [("US", "ID", "America/Boise"), ("US", "ID", "America/Los_Angeles")]),
        (UK, "", "", [("GB", "", "Europe/London")]),
        (NY, "", "", [("US", "NY", EASTERN)]),
        # the address wins over the number
        (NY, "US", "FL", [("US", "FL", CENTRAL), ("US", "FL", EASTERN)]),
        (FL_EASTERN_850, "US", "TX", [("US", "TX", CENTRAL), ("US", "TX", "America/Denver")]),
        (UK, "US", "CT", [("US", "CT", EASTERN)]),
        (NY, "GB", "", [("GB", "", "Europe/London")]),
        # an address state matching the number's keeps the number's zone
        (FL_CENTRAL_850, "US", "FL", [("US", "FL", CENTRAL)]),
        # region only: every zone of the state
        ("", "US", "FL", [("US", "FL", CENTRAL), ("US", "FL", EASTERN)]),
        ("", "", "Florida", [("US", "FL", CENTRAL), ("US", "FL", EASTERN)]),
        (INVALID, "", "us-fl", [("US", "FL", CENTRAL), ("US", "FL", EASTERN)]),
        # nothing usable
        (INVALID, "", "", []),
        ("not a number", "", "", []),
        ("", "", "", []),
        ("", "FR", "", []),
        (TORONTO, "", "", [("CA", "", "America/Toronto")]),
    ],
)
def test_recipient_locations(phone, country, region, expected):
    # when
    locations = recipient_locations(phone=phone, country=country, region=region)

    # then
    assert [(loc.country, loc.region, loc.timezone) for loc in locations] == expected


def test_a_toll_free_number_spans_every_us_zone_but_no_foreign_one():
    # when
    locations = recipient_locations(phone=TOLL_FREE)

    # then
    zones = {location.timezone for location in locations}
    assert zones <= COUNTRY_ZONES["US"]
    assert {EASTERN, "Pacific/Honolulu"} <= zones
    assert {location.region for location in locations} == {""}


@pytest.mark.parametrize(
    ("phone", "at", "allowed"),
    [
        (FL_EASTERN_850, local(EASTERN, "2026-07-15 19:30"), True),
        (FL_CENTRAL_850, local(EASTERN, "2026-07-15 19:30"), True),
        (FL_EASTERN_850, local(EASTERN, "2026-07-15 20:30"), False),  # 20:30 in Tallahassee
        (FL_CENTRAL_850, local(EASTERN, "2026-07-15 20:30"), True),  # 19:30 in Pensacola
        (FL_EASTERN_850, local(EASTERN, "2026-07-15 08:30"), True),
        (FL_CENTRAL_850, local(EASTERN, "2026-07-15 08:30"), False),  # 07:30 in Pensacola
    ],
)
def test_split_area_code_850_by_exchange(phone, at, allowed):
    # when
    verdict = check(phone, at)

    # then
    assert verdict.allowed is allowed


@pytest.mark.parametrize(
    ("stamp", "allowed", "names", "next_allowed_at"),
    [
        ("2026-07-15 12:00", True, "", None),
        # 20:30 Eastern is 19:30 Central: the Eastern part of the state is closed
        ("2026-07-15 20:30", False, "Florida (America/New_York)", utc("2026-07-16 13:00")),
        # 08:30 Eastern is 07:30 Central: wait for 08:00 Central
        ("2026-07-15 08:30", False, "Florida (America/Chicago)", utc("2026-07-15 13:00")),
    ],
)
def test_a_state_spanning_zones_with_region_only_applies_both(stamp, allowed, names, next_allowed_at):
    # given
    at = local(EASTERN, stamp)

    # when
    verdict = check("", at, country="US", region="FL")

    # then
    assert verdict.allowed is allowed
    assert verdict.next_allowed_at == next_allowed_at
    if names:
        assert verdict.explanations[0].count("Florida (") == 1
        assert names in verdict.explanations[0]


@pytest.mark.parametrize(
    ("at", "allowed", "next_allowed_at"),
    [
        (local("America/Boise", "2026-07-15 09:30"), True, None),  # 08:30 Pacific
        (local("America/Boise", "2026-07-15 08:30"), False, local("America/Los_Angeles", "2026-07-15 08:00")),
        (local("America/Los_Angeles", "2026-07-15 20:30"), False, local("America/Los_Angeles", "2026-07-16 08:00")),
        (local("America/Boise", "2026-07-15 21:30"), False, local("America/Los_Angeles", "2026-07-16 08:00")),
    ],
)
def test_multi_zone_number_idaho_applies_the_most_restrictive(at, allowed, next_allowed_at):
    # when
    verdict = check(IDAHO, at)

    # then
    assert verdict.allowed is allowed
    assert verdict.next_allowed_at == next_allowed_at


@pytest.mark.parametrize(
    ("at", "next_allowed_at"),
    [
        # spring forward, Sunday 2026-03-08: 08:00 EDT is 12:00 UTC (not 13:00)
        (utc("2026-03-08 05:00"), utc("2026-03-08 12:00")),  # 00:00 EST
        (local(EASTERN, "2026-03-07 21:30"), utc("2026-03-08 12:00")),
        (utc("2026-03-08 11:59"), utc("2026-03-08 12:00")),  # 07:59 EDT
        # fall back, Sunday 2026-11-01: 08:00 EST is 13:00 UTC; 01:30 happens twice
        (local(EASTERN, "2026-11-01 01:30", fold=0), utc("2026-11-01 13:00")),
        (local(EASTERN, "2026-11-01 01:30", fold=1), utc("2026-11-01 13:00")),
        (local(EASTERN, "2026-10-31 21:00"), utc("2026-11-01 13:00")),
        (utc("2026-11-01 12:59"), utc("2026-11-01 13:00")),  # 07:59 EST
    ],
)
def test_dst_days_in_new_york(at, next_allowed_at):
    # when
    verdict = check(NY, at)

    # then
    assert verdict.allowed is False
    assert verdict.next_allowed_at == next_allowed_at
    assert check(NY, next_allowed_at).allowed is True


def test_a_window_starting_in_the_spring_forward_gap_opens_at_the_transition():
    # given: an admin moves the federal start into the gap (02:00-03:00 does not exist on 2026-03-08)
    edit_rule("US", "", start="02:30")

    # when
    verdict = check(NY, utc("2026-03-08 05:00"))  # 00:00 EST

    # then: 03:00 EDT, the first instant at or after 02:30 local
    assert verdict.next_allowed_at == utc("2026-03-08 07:00")
    assert check(NY, utc("2026-03-08 06:59:59")).allowed is False


def test_the_fall_back_fold_reenters_a_window_that_ends_inside_it():
    # given: a window 00:00-01:30; on 2026-11-01 01:00-02:00 happens twice in New York
    edit_rule("US", "", start="00:00", end="01:30")

    # when: 01:45 EDT, after the window
    verdict = check(NY, local(EASTERN, "2026-11-01 01:45"))

    # then: 01:00 EST, when the clock turns back into the window
    assert verdict.allowed is False
    assert verdict.next_allowed_at == utc("2026-11-01 06:00")


@pytest.mark.parametrize(
    ("phone", "at", "next_allowed_at"),
    [
        # Saturday evening in Alabama: no Sunday calls, so Monday 08:00
        (AL, local(CENTRAL, "2026-07-11 20:30"), local(CENTRAL, "2026-07-13 08:00")),
        (MS, local(CENTRAL, "2026-07-12 10:00"), local(CENTRAL, "2026-07-13 08:00")),
        # Christmas Eve evening in Alabama: Christmas is out, Saturday 08:00
        (AL, local(CENTRAL, "2026-12-24 20:30"), local(CENTRAL, "2026-12-26 08:00")),
        # Louisiana: Sunday, Washington's Birthday, Mardi Gras, then Wednesday
        (LA, local(CENTRAL, "2026-02-14 20:30"), local(CENTRAL, "2026-02-18 08:00")),
        # Texas Sunday morning waits for noon
        (TX, local(CENTRAL, "2026-07-12 09:30"), local(CENTRAL, "2026-07-12 12:00")),
    ],
)
def test_next_allowed_at_skips_banned_days(phone, at, next_allowed_at):
    # when
    verdict = check(phone, at)

    # then
    assert verdict.allowed is False
    assert verdict.next_allowed_at == next_allowed_at
    assert verdict.next_allowed_at.tzinfo is UTC


def test_an_extra_no_call_date_set_by_an_admin_denies_that_day():
    # given
    edit_rule("US", "FL", holidays=["2026-07-15"])

    # when
    verdict = check(FL, local(EASTERN, "2026-07-15 12:00"))

    # then
    assert verdict.reasons == ("no_calls_holiday",)
    assert verdict.explanations == ("It is a no-call date (Wednesday 2026-07-15) in Florida (America/New_York); "
                                    "Florida allows no calls that day.",)
    assert verdict.next_allowed_at == local(EASTERN, "2026-07-16 08:00")


def test_an_admin_edit_applies_at_once():
    # given
    at = local(EASTERN, "2026-07-15 19:30")
    assert check(FL, at).allowed is True

    # when
    edit_rule("US", "FL", end="19:00")

    # then
    assert check(FL, at).allowed is False


@pytest.mark.parametrize(
    ("phone", "zone", "stamp", "explanation"),
    [
        (FL, EASTERN, "2026-07-15 20:15",
         "It is 20:15 in Florida (America/New_York); calls are allowed 08:00–20:00 there."),
        (TX, CENTRAL, "2026-07-12 11:00",
         "It is 11:00 in Texas (America/Chicago); calls are allowed 12:00–21:00 there on Sundays."),
        (AL, CENTRAL, "2026-07-12 12:00",
         "It is Sunday 12:00 in Alabama (America/Chicago); Alabama allows no calls on Sundays."),
        (AL, CENTRAL, "2026-12-25 12:00",
         "It is Christmas Day (Friday 2026-12-25) in Alabama (America/Chicago); "
         "Alabama allows no calls on public holidays."),
        (UK, "Europe/London", "2026-07-15 21:00",
         "It is 21:00 in the United Kingdom (Europe/London); calls are allowed 08:00–21:00 there."),
    ],
)
def test_explanations_name_the_place_and_local_time(phone, zone, stamp, explanation):
    # when
    verdict = check(phone, local(zone, stamp))

    # then
    assert verdict.explanations == (explanation,)


@pytest.mark.parametrize(
    ("stamp", "allowed"),
    [("2026-07-15 07:59", False), ("2026-07-15 08:00", True), ("2026-07-15 20:59", True),
     ("2026-07-15 21:00", False), ("2026-01-15 21:00", False), ("2026-01-15 08:00", True)],
)
def test_uk_number_uses_london_time(stamp, allowed):
    # when
    verdict = check(UK, local("Europe/London", stamp))

    # then
    assert verdict.allowed is allowed
    assert verdict.rules_applied == ("GB",)


@pytest.mark.parametrize(
    "locations",
    [
        [],
        recipient_locations(phone=INVALID),
        [RecipientLocation(country="CA", region="", timezone="America/Toronto")],  # no rule for Canada
        [RecipientLocation(country="US", region="", timezone="Mars/Olympus_Mons")],
        [RecipientLocation(country="US", region="", timezone=EASTERN),
         RecipientLocation(country="US", region="", timezone="Not/A_Zone")],
    ],
)
def test_unresolvable_locations_deny_without_a_next_time(locations):
    # when
    verdict = calling_hours_check(locations=locations, at=utc("2026-07-15 16:00"))

    # then
    assert verdict.allowed is False
    assert verdict.reasons[0] == "unknown_location"
    assert verdict.next_allowed_at is None
    assert len(verdict.explanations) == len(verdict.reasons)


def test_a_missing_national_rule_denies():
    # given
    CallingRule.objects.filter(country="GB", region="").delete()

    # when
    verdict = check(UK, local("Europe/London", "2026-07-15 12:00"))

    # then
    assert verdict.reasons == ("unknown_location",)
    assert "'GB'" in verdict.explanations[0]


@pytest.mark.parametrize("locations", [[], [RecipientLocation(country="US", region="NY", timezone=EASTERN)]])
def test_a_naive_datetime_is_refused(locations):
    # when / then
    with pytest.raises(ValueError, match="aware"):
        calling_hours_check(locations=locations, at=datetime(2026, 7, 15, 12, 0))


def test_the_migration_seeded_every_rule_with_its_source():
    # given
    shipped = json.loads(RULES_JSON.read_text(encoding="utf-8"))

    # when
    rows = {(row.country, row.region): row for row in CallingRule.objects.all()}

    # then
    assert {("US", ""), ("GB", ""), ("US", "FL"), ("US", "TX"), ("US", "AL")} <= set(rows)
    for rule in shipped:
        row = rows[(rule["country"], rule["region"])]
        assert row.source.startswith(("https://", "http://"))
        assert row.end.strftime("%H:%M") == rule["end"]
        assert row.max_calls_per_24h == rule["max_calls_per_24h"]
        row.full_clean()


def test_rerunning_the_seed_overwrites_shipped_rows_only():
    # given: an admin edited a shipped row and added a new one
    edit_rule("US", "FL", end="19:00")
    CallingRule.objects.create(country="US", region="NJ", end="20:00", source="https://example.com/nj")
    migration = importlib.import_module("compliance.migrations.0003_calling_rules")

    # when
    migration.seed_calling_rules(apps, SimpleNamespace(connection=connection))

    # then
    assert CallingRule.objects.get(country="US", region="FL").end.strftime("%H:%M") == "20:00"
    assert CallingRule.objects.filter(country="US", region="NJ").exists()


def test_rules_are_loaded_once_per_country_and_cached(django_assert_num_queries):
    # given
    at = local(EASTERN, "2026-07-15 12:00")
    check(FL, at)

    # when / then
    with django_assert_num_queries(0):
        for phone in (FL, NY, FL_CENTRAL_850):
            check(phone, at)
    assert hours.RULES_CACHE_TTL_SECONDS <= 60


def test_the_rules_cache_is_process_local_and_an_edit_clears_it(settings):
    # the gate reads the rules on every check: a locmem cache, never a network round trip
    assert settings.CACHES[hours.RULES_CACHE]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"

    # given the US rules cached
    at = local(EASTERN, "2026-07-15 12:00")
    check(FL, at)
    assert caches[hours.RULES_CACHE].get("US") is not None

    # when an admin edits a rule, then the cached table is gone
    CallingRule.objects.filter(country="US", region="").first().save()
    assert caches[hours.RULES_CACHE].get("US") is None
