"""The marketing consent a checkout carries is kept as consent records."""

from __future__ import annotations

import pytest
import time_machine

from compliance.models import ConsentRecord
from tests.helpers import process_inbox
from tests.payloads import post_shopify, shopify_checkout

pytestmark = pytest.mark.django_db


def deliver(client, payload, capture):
    with time_machine.travel("2026-11-20T15:16:00Z", tick=False), capture(execute=True):
        response = post_shopify(client, payload)
        process_inbox()
        return response


def test_shopify_checkout_consent_becomes_records(client, shopify_store, django_capture_on_commit_callbacks):
    deliver(client, shopify_checkout(), django_capture_on_commit_callbacks)

    records = {r.channel: r for r in ConsentRecord.objects.all()}
    assert set(records) == {"sms", "email"}
    assert records["sms"].phone == "+12125550142"
    assert records["sms"].granted is True
    assert records["sms"].basis == "express_written"
    assert records["sms"].source == "shopify_checkout"
    assert "accepts SMS marketing = true" in records["sms"].evidence
    assert records["email"].email == "jane.doe@example.com"


def test_unchanged_consent_is_not_recorded_twice_and_a_withdrawal_is(client, shopify_store,
                                                                       django_capture_on_commit_callbacks):
    deliver(client, shopify_checkout(), django_capture_on_commit_callbacks)
    deliver(client, shopify_checkout(updated_at="2026-11-20T10:16:00-05:00"), django_capture_on_commit_callbacks)
    deliver(client, shopify_checkout(updated_at="2026-11-20T10:17:00-05:00", buyer_accepts_sms_marketing=False),
            django_capture_on_commit_callbacks)

    sms = list(ConsentRecord.objects.filter(channel="sms").order_by("at").values_list("granted", flat=True))
    assert sms == [True, False]
