"""The contact gate, table-driven: every reason code, time-zone edges, state overrides,
opt-out then opt-in, consent, caps, and failures (which deny)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from compliance import selectors
from compliance.models import ContactDecision
from compliance.services.gate import check_contact
from tests.compliance.helpers import CASES, NOON_NY, NY, Case, World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_gate(world: World, case: Case):
    # given
    customer = None
    if case.customer is not None:
        customer = world.customer(case.phone, **{"at": case.at if case.at.tzinfo else NOON_NY, **case.customer})
    if case.setup:
        case.setup(world)

    # when
    decision = check_contact(channel=case.channel, store=world.store, phone=case.phone or None,
                             email=case.email or None, at=case.at, customer=customer, requester="test")

    # then
    assert decision.allowed is case.allowed, decision.messages or decision
    assert set(case.reasons) <= set(decision.reasons), decision.messages
    if case.allowed:
        assert decision.reasons == ()
    assert len(decision.explanations) == len(decision.reasons)
    assert all(sentence.strip() for sentence in decision.explanations)
    if case.basis is not None:
        assert decision.basis == case.basis
    if case.next_allowed_at != "any":
        assert decision.next_allowed_at == case.next_allowed_at
    assert bool(decision.notes) is case.notes or not case.notes
    row = ContactDecision.objects.get(pk=decision.decision_id)
    assert (row.allowed, row.reasons, row.requester) == (decision.allowed, list(decision.reasons), "test")


def test_every_reason_code_is_covered_by_the_table():
    covered = {reason for case in CASES for reason in case.reasons}
    expected = {
        "dnc_national", "dnc_state", "dnc_internal", "dnc_uk_tps", "invalid_number", "invalid_email",
        "opted_out_voice", "opted_out_sms", "opted_out_email", "opted_out_all", "no_consent", "list_stale",
        "outside_calling_hours", "no_calls_sunday", "no_calls_holiday", "frequency_cap_24h", "minimum_gap",
        "internal_error",
    }
    assert expected <= covered
    assert len(CASES) >= 40


def test_decision_records_the_list_versions_consulted(world):
    world.customer(NY)

    decision = check_contact(channel="voice", store=world.store, phone=NY, at=NOON_NY)

    assert decision.list_versions == {"national": 7, "state-tx": 2, "internal": 3}
    assert ContactDecision.objects.get(pk=decision.decision_id).list_versions == decision.list_versions
    assert decision.recipient_timezones == ("America/New_York",)


def test_a_database_error_inside_the_gate_denies(world, monkeypatch):
    world.customer(NY)

    def cancelled_query(**identity):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")

    monkeypatch.setattr(selectors, "contact_facts", cancelled_query)

    decision = check_contact(channel="voice", store=world.store, phone=NY, at=NOON_NY)

    assert decision.allowed is False
    assert decision.reasons == ("internal_error",)
    assert ContactDecision.objects.get(pk=decision.decision_id).allowed is False


def test_cart_attempt_limit(world):
    customer = world.customer(NY)
    cart = customer.carts.get()
    world.policy.max_calls_per_cart = 2
    world.policy.min_gap_between_calls = timedelta(0)
    world.policy.save()
    world.attempts(NY, NOON_NY - timedelta(days=3), NOON_NY - timedelta(days=2), cart=cart)

    decision = check_contact(channel="voice", store=world.store, phone=NY, at=NOON_NY, cart=cart)

    assert decision.reasons == ("cart_attempt_limit",)
    assert decision.next_allowed_at is None


def test_audit_log_cannot_be_edited_or_deleted(world):
    world.customer(NY)
    decision = check_contact(channel="voice", store=world.store, phone=NY, at=NOON_NY)

    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ContactDecision.objects.filter(pk=decision.decision_id).update(allowed=False)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ContactDecision.objects.filter(pk=decision.decision_id).delete()
