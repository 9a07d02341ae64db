"""The phone line of a call: Twilio's status callbacks, or the offline backend's simulation, recorded on
the call and its attempt (the call detail record: ringing, answer, answered-by, duration, end), and the hang-up
the console asks for when the agent ends the call or saves the wrap-up (`call_line_hang_up`).

The line, not the agent's clicks, says when a call ended and how long the customer was on it: the talk time
kept on the call (`talk_seconds`) is the provider's duration of the answered leg, so handle-time figures are
the line's."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from agents.models import Call
from compliance.services import contact_attempt_line_record
from integrations.twilio import voice as telephony

# Twilio's CallStatus values in the order a call lives them; a late report never rolls the line back.
LINE_RANK = {"queued": 0, "initiated": 1, "ringing": 2, "in-progress": 3, "completed": 4, "busy": 4,
             "no-answer": 4, "failed": 4, "canceled": 4}
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
# The offline backend's simulated customer: rings after a second, answers after four.
OFFLINE_RINGING_AFTER = timedelta(seconds=1)
OFFLINE_ANSWERED_AFTER = timedelta(seconds=4)


@transaction.atomic
def call_line_record(call: Call, *, status: str, at: datetime | None = None, duration: int | None = None,
                     answered_by: str = "", provider_sid: str = "") -> Call:
    """Apply one line status to the call and its attempt."""
    status = status.strip().lower()
    if status not in LINE_RANK:
        return call
    call = Call.objects.select_for_update(of=("self",)).select_related("attempt").get(pk=call.pk)
    if LINE_RANK[status] < LINE_RANK.get(call.line_status, -1) or call.line_status in FINAL:
        return call
    at = at or timezone.now()
    call.line_status = status
    call.provider_sid = call.provider_sid or provider_sid
    if status == "ringing":
        call.ringing_at = call.ringing_at or at
    if status == "in-progress":
        call.answered_at = call.answered_at or at
    if answered_by:
        call.answered_by = answered_by[:30]
    if status in FINAL:
        call.ended_at = at
        if duration is None and call.answered_at:
            duration = max(0, int((at - call.answered_at).total_seconds()))
        call.duration_seconds = duration if duration is not None else 0
        call.talk_seconds = call.duration_seconds if call.answered_at or status == "completed" else 0
    call.save(update_fields=["line_status", "provider_sid", "ringing_at", "answered_at", "answered_by", "ended_at",
                             "duration_seconds", "talk_seconds"])
    attempt = call.attempt
    if attempt is not None:
        contact_attempt_line_record(attempt, provider_status=status, provider_id=call.provider_sid,
                                    duration_seconds=call.duration_seconds if status in FINAL else None)
    return call


def call_for_provider_sid(sid: str) -> Call | None:
    return Call.objects.filter(provider_sid=sid).first() if sid else None


def offline_line_start(call: Call) -> Call:
    """The offline backend's call id, like Twilio's (CA + 32 hex), once the gate allowed the dial."""
    call = Call.objects.select_related("attempt", "cart__customer").get(pk=call.pk)
    call.provider_sid = f"CA{secrets.token_hex(16)}"
    call.save(update_fields=["provider_sid"])
    return call


def offline_line_advance(call: Call, *, now: datetime | None = None) -> Call:
    """The offline backend's simulated line: ringing, then answered by a person, until the agent hangs up."""
    if call.attempt_id is None or call.line_status in FINAL:
        return call
    now = now or timezone.now()
    dialed = call.attempt.at
    if now - dialed >= OFFLINE_RINGING_AFTER and LINE_RANK.get(call.line_status, -1) < LINE_RANK["ringing"]:
        call = call_line_record(call, status="ringing", at=dialed + OFFLINE_RINGING_AFTER)
    if now - dialed >= OFFLINE_ANSWERED_AFTER and LINE_RANK.get(call.line_status, -1) < LINE_RANK["in-progress"]:
        call = call_line_record(call, status="in-progress", at=dialed + OFFLINE_ANSWERED_AFTER, answered_by="human")
    return call


def offline_line_hang_up(call: Call, *, now: datetime | None = None) -> Call:
    now = now or timezone.now()
    call = offline_line_advance(call, now=now)
    status = "completed" if call.answered_at else "canceled"
    return call_line_record(call, status=status, at=now)


def call_line_hang_up(call: Call, *, now: datetime | None = None) -> Call:
    """Hang up the call's line if it is still up (the agent ended the call, or saved the wrap-up with the line
    still open): the offline backend ends it at once; with Twilio the call is completed through its REST API once
    the transaction commits, and Twilio's final status callback then records the end and the duration."""
    if call.attempt_id is None or call.line_ended:
        return call
    if telephony.voice_mode() == "offline":
        return offline_line_hang_up(call, now=now)
    sid = call.provider_sid
    if sid and telephony.voice_mode() == "twilio":
        transaction.on_commit(lambda: telephony.hang_up(sid))
    return call

