"""Callbacks: booked in the customer's time, owed by the same agent, ahead of new carts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from agents.models import AgentProfile, Callback
from agents.services import CALLBACK_GRACE, callback_schedule, cart_release, next_cart
from compliance.models import DncList
from tests.agents.helpers import open_cart
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BOOKED = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)  # 08:00 in Chicago


@pytest.fixture
def world(shopify_store):
    DncList.objects.create(name="national", kind="national", last_full_import_at=BOOKED)
    maya, sam = UserFactory(username="maya"), UserFactory(username="sam")
    owed = open_cart(shopify_store, phone="+13125550100", score=10)  # Chicago number
    newer = open_cart(shopify_store, phone="+12125550101", score=90)
    with time_machine.travel(BOOKED, tick=False):
        callback = callback_schedule(cart=owed, agent=maya, local_time=datetime(2026, 11, 18, 14, 0),  # noqa: DTZ001
                                     customer_timezone="America/Chicago")
    return {"maya": maya, "sam": sam, "owed": owed, "newer": newer, "callback": callback}


def test_local_time_is_converted_with_the_customer_zone(world):
    assert world["callback"].due_at == datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
    assert world["callback"].local_time == "2026-11-18 14:00"


@pytest.mark.parametrize("local", [datetime(2026, 3, 8, 2, 30), datetime(2026, 11, 1, 1, 30)],  # noqa: DTZ001
                         ids=["skipped by spring forward", "repeated by fall back"])
def test_times_the_clocks_skip_or_repeat_are_refused(world, local):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC)), pytest.raises(ValidationError, match="agree another"):
        callback_schedule(cart=world["owed"], agent=world["maya"], local_time=local,
                          customer_timezone="America/New_York")


def test_a_past_time_is_refused(world):
    with time_machine.travel(BOOKED), pytest.raises(ValidationError, match="future"):
        callback_schedule(cart=world["owed"], agent=world["maya"], local_time=datetime(2026, 11, 17, 9, 0),  # noqa: DTZ001
                          customer_timezone="America/Chicago")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "America/", "UTC\x00"])
def test_a_zone_the_time_zone_database_does_not_know_is_refused(world, zone):
    with time_machine.travel(BOOKED), pytest.raises(ValidationError, match="Unknown time zone"):
        callback_schedule(cart=world["newer"], agent=world["maya"], local_time=datetime(2026, 11, 19, 9, 0),  # noqa: DTZ001
                          customer_timezone=zone)
    assert Callback.objects.filter(cart=world["newer"]).count() == 0


def test_the_owing_agent_gets_the_callback_when_due_ahead_of_better_new_carts(world):
    due = world["callback"].due_at

    assert next_cart(world["maya"], now=due - timedelta(minutes=1)) == world["newer"]  # not due yet
    cart_release(agent=world["maya"], cart_id=world["newer"].pk)

    assert next_cart(world["maya"], now=due + timedelta(minutes=1)) == world["owed"]


def test_callback_goes_to_its_agent_first(world):
    due = world["callback"].due_at

    cart = next_cart(world["maya"], now=due)

    assert cart == world["owed"]
    world["callback"].refresh_from_db()
    assert (world["callback"].status, world["callback"].handed_to) == (Callback.Status.HANDED_OUT, world["maya"])


def test_another_agent_takes_it_only_after_the_grace_period(world):
    due = world["callback"].due_at

    assert next_cart(world["sam"], now=due) == world["newer"]
    assert next_cart(UserFactory(username="kim"), now=due + CALLBACK_GRACE) == world["owed"]


def test_another_agent_takes_it_at_once_when_its_agent_is_off(world):
    AgentProfile.objects.create(user=world["maya"], is_available=False)

    assert next_cart(world["sam"], now=world["callback"].due_at) == world["owed"]
