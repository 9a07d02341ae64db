"""Opt-outs: recorded the moment they are expressed, applied by the gate at once.

Inbound SMS is read the way a person would read it: Twilio's keywords, and free
text that plainly revokes consent ("stop texting me", "don't contact me"),
which Twilio itself ignores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from compliance.models import OptOut
from compliance.models.choices import OptOutScope

STOP_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START_KEYWORDS = {"START", "UNSTOP", "YES"}
HELP_KEYWORDS = {"HELP", "INFO"}

_STOP_PHRASES = re.compile(
    r"\b(stop|quit|cease|no more|don'?t|do not|never|unsubscribe|remove me|take me off|opt(ing)? out|leave me alone)\b"
    r".{0,40}?\b(text|texting|txt|sms|messag\w*|contact\w*|call\w*|phon\w*|bother\w*|list)\b"
    r"|\b(unsubscribe|remove me|take me off|opt me out|leave me alone)\b",
    re.IGNORECASE,
)
_ALL_CONTACT = re.compile(r"\b(contact\w*|call\w*|phon\w*|bother\w*|anything|all|at all|leave me alone)\b", re.I)


@dataclass(frozen=True)
class SmsIntent:
    kind: str  # "opt_out", "opt_in", "help" or "" (a normal reply)
    scope: str = OptOutScope.SMS


def sms_intent(body: str) -> SmsIntent:
    """What an inbound text asks for. A keyword must be the whole message (as carriers
    treat it); free text opts out when it plainly asks to stop, and covers all contact
    when it mentions calls or contact in general."""
    text = (body or "").strip()
    keyword = re.sub(r"[^A-Za-z]", "", text).upper()
    if keyword in STOP_KEYWORDS:
        return SmsIntent("opt_out", OptOutScope.ALL if keyword == "STOPALL" else OptOutScope.SMS)
    if keyword in START_KEYWORDS:
        return SmsIntent("opt_in")
    if keyword in HELP_KEYWORDS:
        return SmsIntent("help")
    if _STOP_PHRASES.search(text):
        mentions_all = bool(_ALL_CONTACT.search(text)) and not re.search(r"\b(text|txt|sms)\w*\b", text, re.I)
        return SmsIntent("opt_out", OptOutScope.ALL if mentions_all else OptOutScope.SMS)
    return SmsIntent("")


def optout_record(
    *,
    scope: str,
    source: str,
    phone: str = "",
    email: str = "",
    evidence: str = "",
    store=None,
    recorded_by=None,
    at: datetime | None = None,
) -> OptOut:
    """Append an opt-out; effective for the very next gate decision."""
    return _append(OptOut.Action.OPT_OUT, scope=scope, source=source, phone=phone, email=email,
                   evidence=evidence, store=store, recorded_by=recorded_by, at=at)


def optin_record(
    *, scope: str, source: str, phone: str = "", email: str = "", evidence: str = "", store=None,
    recorded_by=None, at: datetime | None = None,
) -> OptOut:
    """Append an opt back in (e.g. START by SMS), which lifts an earlier opt-out of that scope."""
    return _append(OptOut.Action.OPT_IN, scope=scope, source=source, phone=phone, email=email,
                   evidence=evidence, store=store, recorded_by=recorded_by, at=at)


def _append(action: str, **fields) -> OptOut:
    if not fields["phone"] and not fields["email"]:
        raise ValueError("An opt-out needs a phone number or an email address.")
    fields["at"] = fields["at"] or timezone.now()
    fields["email"] = (fields["email"] or "").lower()
    optout = OptOut(action=action, **fields)
    optout.full_clean(exclude=["store", "recorded_by", "email"])
    optout.save()
    return optout
