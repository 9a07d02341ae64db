"""The gate's per-process caches of pure computation (a number's validity and place, each place's calling
window per day) give the decisions the gate gives without them, and never stand in for the facts: a DNC
entry, an opt-out or a rule edit after a cached lookup is seen by the very next check."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from phonenumbers import geocoder
from phonenumbers import timezone as phone_timezone

from compliance.models import CallingRule, ContactDecision, OptOut
from compliance.models.choices import OptOutScope
from compliance.services import hours
from compliance.services.gate import check_contact
from compliance.services.optouts import optout_record
from core.phones import _valid_number, valid_number
from tests.compliance.helpers import CASES, NOON_NY, NY, Case, World, local
from tests.factories import add_entry

pytestmark = pytest.mark.django_db

# Every field the audit row records, but its id.
RECORDED = [field.name for field in ContactDecision._meta.concrete_fields if field.name != "id"]


def forget_pure_caches() -> None:
    _valid_number.cache_clear()
    hours._number_facts.cache_clear()
    hours._place.cache_clear()


def recorded(decision) -> dict:
    row = ContactDecision.objects.get(pk=decision.decision_id)
    return {name: getattr(row, name) for name in RECORDED}


def ask(world: World, case: Case, customer, *, at=None, audit=True):
    return check_contact(channel=case.channel, store=world.store, phone=case.phone or None,
                         email=case.email or None, at=at or case.at, customer=customer, requester="test", audit=audit)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_warm_caches_record_the_decision_cold_caches_record(world: World, case: Case):
    # given the case's world, and a process that has placed nothing yet
    customer = None
    if case.customer is not None:
        customer = world.customer(case.phone, **{"at": case.at if case.at.tzinfo else NOON_NY, **case.customer})
    if case.setup:
        case.setup(world)
    forget_pure_caches()
    cold = ask(world, case, customer)
    # when the same number was placed since, at another time of another day (caches warm, other days known)
    if case.at.tzinfo is not None:
        ask(world, case, customer, at=case.at - timedelta(days=1, hours=13), audit=False)
    warm = ask(world, case, customer)

    # then the audit rows are the same, field by field (a naive time's refusal records when it happened)
    cold_row, warm_row = recorded(cold), recorded(warm)
    if case.at.tzinfo is None:
        cold_row.pop("at"), warm_row.pop("at")
    assert warm_row == cold_row


def test_a_number_on_a_dnc_list_after_a_cached_lookup_is_refused(world: World):
    # given NY placed and allowed (its validity, place and window now cached)
    customer = world.customer(NY)
    assert check_contact(channel="voice", store=world.store, phone=NY, customer=customer, at=NOON_NY).allowed

    # when the number is added to the national list
    add_entry(world.lists["national"], NY)
    decision = check_contact(channel="voice", store=world.store, phone=NY, customer=customer, at=NOON_NY)

    # then the next check refuses it
    assert not decision.allowed
    assert decision.reasons == ("dnc_national",)
    assert ContactDecision.objects.get(pk=decision.decision_id).reasons == ["dnc_national"]


def test_an_opt_out_after_a_cached_lookup_is_refused(world: World):
    customer = world.customer(NY)
    assert check_contact(channel="voice", store=world.store, phone=NY, customer=customer, at=NOON_NY).allowed

    optout_record(scope=OptOutScope.VOICE, source=OptOut.Source.SMS, phone=NY, at=NOON_NY - timedelta(minutes=1))
    decision = check_contact(channel="voice", store=world.store, phone=NY, customer=customer, at=NOON_NY)

    assert decision.reasons == ("opted_out_voice",)


def test_a_calling_rule_edited_after_a_cached_window_applies_at_once(world: World):
    # given 20:30 in New York allowed under the national 08:00-21:00 (the place's day window cached)
    customer = world.customer(NY)
    evening = local(20, 30)
    assert check_contact(channel="voice", store=world.store, phone=NY, customer=customer, at=evening).allowed

    # when an admin ends calls at 20:00 in New York
    CallingRule.objects.update_or_create(country="US", region="NY", defaults={"end": time(20, 0)})
    decision = check_contact(channel="voice", store=world.store, phone=NY, customer=customer, at=evening)

    # then the next check applies the new window
    assert decision.reasons == ("outside_calling_hours",)
    assert decision.next_allowed_at == local(8, 0, day=NOON_NY + timedelta(days=1))


def _number_facts_as_phonenumbers_states_them(phone: str, default_region: str) -> tuple[str, str, tuple[str, ...]]:
    """The number's place from phonenumbers' own checked functions, which work out the number's type each."""
    number = valid_number(phone, default_region or None)
    if number is None:
        return "", "", ()
    country = hours._number_country(number)
    zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != phone_timezone.UNKNOWN_TIMEZONE)
    if country in hours.COUNTRY_ZONES:
        zones = tuple(z for z in zones if z in hours.COUNTRY_ZONES[country])
    region = hours._state_from_description(geocoder.description_for_number(number, "en")) if country == "US" else ""
    return country, region, zones


@pytest.mark.parametrize("phone", [
    "+12125550100", "+13055550150", "+18502221234", "+18504441234", "+19075550100", "+18085550100",
    "+18005550100", "+18885551212",  # toll-free: not geographic
    "+16135550100", "+17875550100", "+16715550100",  # Canada, Puerto Rico, Guam
    "+442079460958", "+447911123456", "+441481710000", "+33142685300", "+61291234567", "+80012345678",
    "+1212555", "2125550100", "",
])
def test_a_number_is_placed_as_phonenumbers_places_it(phone: str):
    hours._number_facts.cache_clear()

    assert hours._number_facts(phone, default_region="US") == _number_facts_as_phonenumbers_states_them(phone, "US")


def test_numbers_are_placed_as_phonenumbers_places_them_across_area_codes():
    # given a spread of numbers over every +1 area code that phonenumbers knows
    area_codes = {prefix[1:4] for prefix in phone_timezone.TIMEZONE_DATA if prefix.startswith("1") and len(prefix) >= 4}
    numbers = [f"+1{area}{exchange}5550" for area in sorted(area_codes) for exchange in ("234", "555", "876")]
    hours._number_facts.cache_clear()

    # then each is placed as phonenumbers' checked functions place it
    mismatched = [phone for phone in numbers if hours._number_facts(phone, default_region="")
                  != _number_facts_as_phonenumbers_states_them(phone, "")]
    assert mismatched == []
    assert sum(valid_number(phone) is not None for phone in numbers) > 500  # most of them are real numbers


def test_a_shared_place_answers_every_day_past_the_days_it_keeps():
    # given New York's place as the checks share it, and one of its own
    location = hours.recipient_locations(phone=NY, country="US", region="NY")[0]
    table = hours._rules_of_country("US")
    rules = (table[""], table["NY"]) if "NY" in table else (table[""],)
    zone = hours._zone(location.timezone)
    shared, alone = hours._place(location, zone, rules), hours._Place(location, zone, rules)

    # when asked about three times as many days as it remembers
    days = [NOON_NY.date() + timedelta(days=number) for number in range(3 * hours._PLACE_DAYS_KEPT)]

    # then every answer is the one worked out afresh, and the memo stays bounded
    assert [shared.day(day) for day in days] == [alone.day(day) for day in days]
    assert len(shared._days) <= hours._PLACE_DAYS_KEPT
