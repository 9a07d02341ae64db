"""How every screen writes phones, money and times (core/templatetags/formats.py, a builtin library), and the
viewer's time zone taken from the browser's cookie (core/timezones.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import parse

from core.money import money_text
from core.phones import national_form, search_digits
from core.timezones import ViewerTimezoneMiddleware, place_name

NOW = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def render(source: str, **context) -> str:
    """The template as a screen renders it: no `{% load %}`, the filters are builtins."""
    return Template(source).render(Context(context))


@pytest.mark.parametrize(("stored", "national"), [
    ("+14155550101", "(415) 555-0101"),  # US
    ("+442079460958", "020 7946 0958"),  # UK
    ("+493012345678", "030 12345678"),  # DE
])
def test_a_number_shows_in_its_countrys_national_format_with_e164_on_hover_and_copy(stored, national):
    shown = render("{{ number|phone }}", number=stored)

    assert f">{national}</span>" in shown
    assert f'title="{stored}"' in shown and f'data-e164="{stored}"' in shown


def test_a_phone_field_value_shows_the_same_as_its_text():
    text = render("{{ number|phone }}", number="+14155550101")

    assert render("{{ number|phone }}", number=PhoneNumber.from_string("+14155550101")) == text
    assert render("{{ number|phone }}", number=parse("+14155550101")) == text


@pytest.mark.parametrize("stored", ["12345", "call me <b>maybe</b>"])
def test_a_number_that_does_not_parse_shows_as_given_and_escaped(stored):
    shown = render("{{ number|phone }}", number=stored)

    assert "class=\"phone\"" not in shown
    assert "<b>" not in shown and ("12345" in shown or "&lt;b&gt;" in shown)


def test_no_number_shows_nothing():
    assert render("{{ number|phone }}", number=None) == render("{{ number|phone }}", number="") == ""


@pytest.mark.parametrize(("amount", "currency", "shown"), [
    (Decimal("2697"), "USD", "$2,697.00"),
    (Decimal("2499.00"), "EUR", "€2,499.00"),
    (Decimal("1234.5"), "GBP", "£1,234.50"),
    (Decimal("12345"), "JPY", "¥12,345"),
    (Decimal("12345.6"), "JPY", "¥12,346"),  # the yen has no minor unit
    (Decimal("1234567.891"), "USD", "$1,234,567.89"),
    (Decimal("-20"), "GBP", "-£20.00"),
    (Decimal("99.5"), "XYZ", "99.50 XYZ"),  # a currency without a symbol here keeps its code
    (None, "USD", "–"),
])
def test_money_has_its_currency_grouping_and_decimals(amount, currency, shown):
    assert render("{{ amount|money:currency }}", amount=amount, currency=currency) == shown


def test_a_sum_over_stores_is_in_the_reporting_currency(settings):
    settings.REPORTING_CURRENCY = "EUR"

    assert render("{{ amount|money }}", amount=Decimal("1500")) == "€1,500.00"


def test_what_the_script_says_drops_whole_cents_in_any_currency():
    assert money_text(Decimal("24.00"), "USD", drop_zero_cents=True) == "$24"
    assert money_text(Decimal("24.50"), "EUR", drop_zero_cents=True) == "€24.50"


@time_machine.travel(NOW, tick=False)
def test_a_time_shows_in_the_viewers_zone_with_its_abbreviation():
    moment = datetime(2026, 12, 7, 22, 3, tzinfo=UTC)

    with timezone.override("America/Los_Angeles"):
        shown = render("{{ moment|local_time }}", moment=moment)

    assert ">Dec 7, 14:03 PST</time>" in shown
    assert 'datetime="2026-12-07T22:03:00+00:00"' in shown and 'title="2026-12-07 22:03:00 UTC"' in shown


@time_machine.travel(NOW, tick=False)
def test_the_customers_own_time_shows_beside_the_viewers():
    moment = datetime(2026, 12, 7, 22, 3, tzinfo=UTC)

    with timezone.override("Europe/Berlin"):
        shown = render("{{ moment|local_time:zone }}", moment=moment, zone="America/New_York")
        alone = render("{{ moment|customer_time:zone }}", moment=moment, zone="America/New_York")

    assert ">Dec 7, 23:03 CET</time>" in shown
    assert "Dec 7, 17:03 EST in New York" in shown and "Dec 7, 17:03 EST in New York" in alone
    assert "<time" not in alone


@time_machine.travel(NOW, tick=False)
def test_the_customers_time_is_left_out_when_it_is_the_viewers_and_unknown_zones_are_ignored():
    moment = datetime(2026, 12, 7, 22, 3, tzinfo=UTC)

    with timezone.override("America/New_York"):
        same = render("{{ moment|local_time:zone }}", moment=moment, zone="America/Toronto")
        unknown = render("{{ moment|local_time:zone }}", moment=moment, zone="Mars/Olympus")

    assert "customer-time" not in same and "customer-time" not in unknown
    assert ">Dec 7, 17:03 EST</time>" in same


@time_machine.travel(NOW, tick=False)
def test_a_time_in_another_year_shows_its_year_and_none_shows_a_dash():
    with timezone.override("UTC"):
        assert ">Dec 30 2025, 09:00 UTC</time>" in render("{{ m|local_time }}",
                                                          m=datetime(2025, 12, 30, 9, tzinfo=UTC))
        assert render("{{ m|local_time }}", m=None) == "–"


def _zone_seen(cookie: str | None) -> str:
    request = RequestFactory().get("/")
    if cookie is not None:
        request.COOKIES["tz"] = cookie
    middleware = ViewerTimezoneMiddleware(lambda request: HttpResponse(timezone.get_current_timezone_name()))
    return middleware(request).content.decode()


def test_the_browsers_zone_is_the_viewers_and_anything_else_falls_back_to_the_default(settings):
    assert _zone_seen("America/Los_Angeles") == "America/Los_Angeles"
    for cookie in (None, "", "Mars/Olympus", "../../etc/passwd", "x" * 100):
        assert _zone_seen(cookie) == settings.TIME_ZONE
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE  # nothing leaks past the request


def test_place_names_read_as_people_say_them():
    assert place_name("America/New_York") == "New York" and place_name("UTC") == "UTC"


@pytest.mark.parametrize(("typed", "looked_for"), [
    ("(415) 555-0101", "+14155550101"),
    ("415.555.0101", "+14155550101"),
    ("+44 20 7946 0958", "+442079460958"),
    ("415 555", "415555"),  # typed so far
    ("0101", "0101"),
    ("maya@example.com", None),
    ("Maya", None),
    ("  ", None),
])
def test_a_number_as_people_type_it_becomes_what_the_stored_e164_holds(typed, looked_for):
    assert search_digits(typed) == looked_for


def test_national_form_gives_none_for_what_is_not_a_number():
    assert national_form("not a number") is None and national_form(None) is None
