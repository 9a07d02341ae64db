"""The local SMS recorder reports delivery the way Twilio does: signed status callbacks to the product's own status
view, which moves the text's attempt to delivered (the demo's text reach is no longer always 0%)."""

from __future__ import annotations

import pytest
from django.db import transaction

from compliance.models import ContactAttempt
from integrations.twilio.sms import local_status_report_task, status_callback_params
from recovery.messaging import sms_send
from tests.factories import CartFactory, attempt

pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "local-signing-token"


@pytest.fixture
def signed(settings, live_server):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.LINK_BASE_URL = live_server.url
    return live_server


def test_the_recorder_takes_a_text_as_queued_and_reports_it_sent_then_delivered_through_the_signed_view(
        signed, shopify_store, django_capture_on_commit_callbacks):
    # given: a text sent through the local recorder (its report is queued for a moment later), then its SID
    # recorded on its attempt by the sender
    with transaction.atomic(), django_capture_on_commit_callbacks(execute=False) as reports:
        message = sms_send(to="+12125550171", body="Your cart is waiting")
    sent = attempt(CartFactory(store=shopify_store), "sms", "2026-12-07T19:00:00Z", outcome="sent",
                   provider_status="sent")
    ContactAttempt.objects.filter(pk=sent.pk).update(provider_id=message.sid)
    assert message.status == "queued" and len(reports) == 1

    # when: the queued report runs (Celery, a few seconds on)
    reports[0]()

    # then: the signed status view took the reports, and the text counts as reached
    sent.refresh_from_db()
    assert (sent.provider_status, sent.outcome) == ("delivered", "delivered")
    assert local_status_report_task(f"{signed.url}/webhooks/twilio/sms/status/", message.sid, message.to) == [
        204, 204]  # a replay is acknowledged and changes nothing
    sent.refresh_from_db()
    assert sent.provider_status == "delivered"


def test_without_a_token_to_sign_with_the_recorder_reports_nothing(settings, live_server,
                                                                   django_capture_on_commit_callbacks):
    settings.TWILIO_AUTH_TOKEN, settings.LINK_BASE_URL = "", live_server.url

    with transaction.atomic(), django_capture_on_commit_callbacks(execute=False) as reports:
        sms_send(to="+12125550171", body="Your cart is waiting")

    assert reports == []  # the status view would refuse an unsigned report


def test_a_report_carries_twilios_fields():
    params = status_callback_params(sid="SM" + "a" * 32, to="+12125550171", status="undelivered",
                                    error_code="30003", error_message="Unreachable destination handset")
    assert {key: params[key] for key in ("MessageStatus", "SmsStatus", "ErrorCode", "To")} == {
        "MessageStatus": "undelivered", "SmsStatus": "undelivered", "ErrorCode": "30003", "To": "+12125550171"}
