"""Inbound SMS: opt-outs, opt-ins and help requests, applied the moment they arrive."""

from __future__ import annotations

from dataclasses import dataclass

from compliance import selectors
from compliance.models import OptOut
from compliance.models.choices import OptOutScope
from compliance.services.optouts import optin_record, optout_record, sms_intent

DEFAULT_HELP_TEXT = "Reply STOP to stop texts, START to resume."


@dataclass(frozen=True)
class InboundSmsResult:
    intent: str
    reply: str = ""
    optout: OptOut | None = None


def inbound_sms_handle(*, from_number: str, body: str, message_sid: str = "") -> InboundSmsResult:
    """Apply what an inbound text asks for and say what to answer (empty: no answer).

    Carrier keywords (STOP, START, ...) are confirmed by Twilio itself; free-text
    opt-outs, which Twilio ignores, get our one confirmation message.
    """
    intent = sms_intent(body)
    store = selectors.store_last_texting(phone=from_number)
    evidence = f"SMS {message_sid}: {body}"[:2000]
    if intent.kind == "opt_out":
        optout = optout_record(phone=from_number, scope=intent.scope, source=OptOut.Source.SMS,
                               evidence=evidence, store=store)
        keyword_only = body.strip().upper().isalpha() and len(body.split()) == 1
        what = "all calls and messages" if intent.scope == OptOutScope.ALL else "texts"
        reply = "" if keyword_only else f"You're unsubscribed from {what}{_from(store)}. No more will be sent."
        return InboundSmsResult("opt_out", reply, optout)
    if intent.kind == "opt_in":
        optin = optin_record(phone=from_number, scope=OptOutScope.SMS, source=OptOut.Source.SMS,
                             evidence=evidence, store=store)
        return InboundSmsResult("opt_in", "", optin)
    if intent.kind == "help":
        help_text = selectors.policy_for_store(store).sms_help_text if store else DEFAULT_HELP_TEXT
        return InboundSmsResult("help", help_text)
    return InboundSmsResult("")


def _from(store) -> str:
    return f" from {store.name}" if store else ""
