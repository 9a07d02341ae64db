"""`POST /webhooks/twilio/sms/status/`: Twilio's delivery reports, signed, update the attempt."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from compliance.models import ContactAttempt, ContactDecision
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
TOKEN = "twilio-test-auth-token"
URL = "https://recovery.example.com/webhooks/twilio/sms/status/"
SID = "SM" + "b" * 32


@pytest.fixture(autouse=True)
def _twilio(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = "https://recovery.example.com"


@pytest.fixture
def attempt():
    store = StoreFactory()
    decision = ContactDecision.objects.create(at="2026-11-23T19:00:00Z", requester="task:recovery_message:1",
                                              store=store, phone="+12125550171", channel="sms", allowed=True)
    return ContactAttempt.objects.create(decision=decision, store=store, channel="sms", phone="+12125550171",
                                         at=decision.at, outcome="sent", provider_id=SID, provider_status="queued")


def report(status: str, **extra) -> dict[str, str]:
    """A status callback as Twilio posts it."""
    return {"MessageSid": SID, "SmsSid": SID, "AccountSid": "AC" + "0" * 32, "From": "+18005550199",
            "To": "+12125550171", "MessageStatus": status, "SmsStatus": status, "ApiVersion": "2010-04-01", **extra}


def post(client, params, *, token=TOKEN):
    signature = RequestValidator(token).compute_signature(URL, params)
    return client.post("/webhooks/twilio/sms/status/", data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_delivery_reports_update_the_attempt(client, attempt):
    assert post(client, report("sent")).status_code == 204
    assert post(client, report("delivered")).status_code == 204
    attempt.refresh_from_db()
    assert (attempt.provider_status, attempt.outcome) == ("delivered", "delivered")


def test_a_late_report_does_not_roll_the_status_back(client, attempt):
    post(client, report("delivered"))
    post(client, report("sent"))
    attempt.refresh_from_db()
    assert attempt.provider_status == "delivered"


def test_an_undelivered_text_records_the_carriers_error(client, attempt):
    post(client, report("undelivered", ErrorCode="30003", ErrorMessage="Unreachable destination handset"))
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.provider_error) == ("undelivered", "30003: Unreachable destination handset")


def test_a_report_with_a_bad_signature_is_refused_and_changes_nothing(client, attempt):
    response = post(client, report("failed"), token="not-the-token")
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.provider_status == "queued"


def test_a_report_for_a_message_we_did_not_send_is_acknowledged(client, attempt):
    params = report("delivered")
    params["MessageSid"] = "SM" + "c" * 32
    assert post(client, params).status_code == 204
    attempt.refresh_from_db()
    assert attempt.provider_status == "queued"


def test_a_replayed_delivery_report_after_undelivered_changes_nothing(client, attempt):
    # given
    post(client, report("undelivered", ErrorCode="30003", ErrorMessage="Unreachable destination handset"))

    # when: a captured "delivered", then "read", posted again
    responses = [post(client, report(status)) for status in ("delivered", "read", "undelivered")]

    # then
    assert [response.status_code for response in responses] == [204, 204, 204]
    attempt.refresh_from_db()
    assert (attempt.provider_status, attempt.outcome, attempt.provider_error) == (
        "undelivered", "undelivered", "30003: Unreachable destination handset")


def test_the_same_report_twice_is_applied_once(client, attempt):
    post(client, report("sent", ErrorCode="30001", ErrorMessage="Queue overflow"))
    post(client, report("sent", ErrorCode="30002", ErrorMessage="Account suspended"))

    attempt.refresh_from_db()
    assert (attempt.provider_status, attempt.provider_error) == ("sent", "30001: Queue overflow")


@pytest.mark.parametrize(("current", "new", "applied"), [
    ("", "queued", True), ("queued", "sent", True), ("sent", "delivered", True), ("delivered", "read", True),
    ("sent", "sent", False), ("delivered", "delivered", False), ("delivered", "sent", False),
    ("undelivered", "delivered", False), ("undelivered", "read", False), ("failed", "read", False),
    ("delivered", "undelivered", False), ("read", "read", False), ("canceled", "delivered", False),
])
def test_a_status_applies_only_when_it_moves_the_message_forward(current, new, applied):
    from compliance.services.delivery import status_advances

    assert status_advances(current, new) is applied
