"""Consent records, opt-outs and decisions outlive the people and accounts they mention."""

from __future__ import annotations

import pytest
from django.utils import timezone

from compliance.models import ConsentRecord, ContactDecision, OptOut
from compliance.services.consent import consent_record
from compliance.services.optouts import optout_record
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_purging_a_customer_keeps_their_consent_records(shopify_store):
    customer = CustomerFactory(store=shopify_store)
    consent_record(store=shopify_store, customer=customer, channel="sms", phone="+12125550142", granted=True,
                   source="shopify_checkout")

    customer_id = customer.pk
    customer.delete()

    record = ConsentRecord.objects.get()
    assert (record.phone, record.granted, record.customer_id) == ("+12125550142", True, customer_id)


def test_deleting_an_agent_keeps_their_decisions_and_recorded_opt_outs(shopify_store):
    agent = UserFactory(username="leaver")
    ContactDecision.objects.create(at=timezone.now(), requested_by=agent, requester="agent:leaver",
                                   store=shopify_store, phone="+12125550142", channel="voice", allowed=True)
    optout_record(phone="+12125550142", scope="voice", source="agent", recorded_by=agent)

    agent_id = agent.pk
    agent.delete()

    assert ContactDecision.objects.get().requester == "agent:leaver"
    assert OptOut.objects.get().recorded_by_id == agent_id
