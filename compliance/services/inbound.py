"""Inbound SMS: each text stored once per Twilio `MessageSid`, and its opt-out, opt-in or help request applied
the moment it first arrives.

A signed request can be captured and posted again (and Twilio retries on its own): the signature says who sent it,
not that it is new. The stored row's unique sid is what makes the second copy a no-op, so a replayed START can
never undo a later STOP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance import selectors
from compliance.models import InboundMessage, OptOut
from compliance.models.choices import OptOutScope
from compliance.services.optouts import optin_record, optout_record, sms_intent
from core.exceptions import ApplicationError

DEFAULT_HELP_TEXT = "Reply STOP to stop texts, START to resume."
MAX_NUM_MEDIA = 32767


class InboundSidMissing(ApplicationError):
    message = "The text has no MessageSid; nothing was stored."


@dataclass(frozen=True)
class InboundSmsResult:
    intent: str
    reply: str = ""
    optout: OptOut | None = None
    message: InboundMessage | None = None
    replayed: bool = False  # this sid was stored already: nothing was applied, nothing is answered


@transaction.atomic
def inbound_sms_handle(*, message_sid: str, from_number: str, body: str, num_media: int = 0,
                       received_at: datetime | None = None) -> InboundSmsResult:
    """Store an inbound text, apply what it asks for, and say what to answer (empty: no answer).

    Only the call that stores the sid applies the intent; a replay returns `replayed=True` and changes nothing.
    Storing and applying share one transaction, so a failure leaves no row and Twilio's retry applies it.
    Carrier keywords (STOP, START, ...) are confirmed by Twilio itself; free-text opt-outs, which Twilio
    ignores, get our one confirmation message.
    """
    message_sid = (message_sid or "").strip()
    if not message_sid:
        raise InboundSidMissing()
    intent = sms_intent(body)
    store = selectors.store_last_texting(phone=from_number)
    message = inbound_message_store(message_sid=message_sid, from_number=from_number, body=body,
                                    num_media=num_media, intent=intent.kind, store=store, received_at=received_at)
    if message is None:
        return InboundSmsResult(intent.kind, replayed=True)
    evidence = f"SMS {message_sid}: {body}"[:2000]
    if intent.kind == "opt_out":
        optout = optout_record(phone=from_number, scope=intent.scope, source=OptOut.Source.SMS,
                               evidence=evidence, store=store)
        keyword_only = body.strip().upper().isalpha() and len(body.split()) == 1
        what = "all calls and messages" if intent.scope == OptOutScope.ALL else "texts"
        reply = "" if keyword_only else f"You're unsubscribed from {what}{_from(store)}. No more will be sent."
        return InboundSmsResult("opt_out", reply, optout, message)
    if intent.kind == "opt_in":
        optin = optin_record(phone=from_number, scope=OptOutScope.SMS, source=OptOut.Source.SMS,
                             evidence=evidence, store=store)
        return InboundSmsResult("opt_in", "", optin, message)
    if intent.kind == "help":
        help_text = selectors.policy_for_store(store).sms_help_text if store else DEFAULT_HELP_TEXT
        return InboundSmsResult("help", help_text, message=message)
    return InboundSmsResult("", message=message)


def inbound_message_store(*, message_sid: str, from_number: str, body: str, num_media: int = 0, intent: str = "",
                          store=None, received_at: datetime | None = None) -> InboundMessage | None:
    """Insert the text's row, or return None when its sid is stored already (a replay or a retry).

    The unique index decides, not a prior read: two copies arriving at once both try the insert, the second waits
    for the first's transaction and then fails, so exactly one of them goes on to apply the text.
    """
    message = InboundMessage(message_sid=message_sid[:64], from_number=from_number[:16], body=body,
                             num_media=min(max(num_media, 0), MAX_NUM_MEDIA), intent=intent, store=store,
                             received_at=received_at or timezone.now())
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return None
    return message


def _from(store) -> str:
    return f" from {store.name}" if store else ""
