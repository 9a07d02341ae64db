"""`check_contact`: read the facts, apply the rules, record the decision; deny whenever that fails."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from compliance import selectors
from compliance.models import Channel
from compliance.services.gate.audit import decision_record
from compliance.services.gate.decision import Decision, Evaluation
from compliance.services.gate.rules import apply_rules, is_valid_e164, is_valid_email

logger = logging.getLogger(__name__)
_CHANNELS = frozenset(Channel.values)


def check_contact(
    *,
    channel: str,
    store,
    phone: str | None = None,
    email: str | None = None,
    at: datetime | None = None,
    cart=None,
    customer=None,
    requested_by=None,
    requester: str = "system",
    audit: bool = True,
    facts: selectors.ContactFacts | None = None,
) -> Decision:
    """May `store` contact this person on `channel` at `at` (default now)? Fails closed.

    Every decision, allowed or denied, is written to the audit log (unless `audit=False`); any error while
    deciding denies with `internal_error`, and a decision that cannot be recorded is `audit_unavailable`.
    `facts`: what `selectors.call_facts_subquery` read for this call at `at` in the caller's own statement (the
    work queue's pop); used only when `selectors.facts_fit` says they answer it, else the gate reads its own.
    """
    at = at or timezone.now()
    phone, email = phone or "", email or ""
    try:
        with _savepoint_if_in_transaction():
            decision = _decide(channel=channel, store=store, phone=phone, email=email, at=at, cart=cart,
                               customer=customer, facts=facts)
    except Exception as exc:  # fail closed: whatever went wrong, nobody is contacted
        logger.exception("Contact gate error; denying %s contact", channel)
        decision = Decision(
            allowed=False, reasons=("internal_error",),
            explanations=(f"The compliance check could not be completed ({type(exc).__name__}); "
                          "contact is denied until it can.",),
        )
    if not audit:
        return decision
    # A naive time was refused above; the audit row records when the refusal happened instead.
    recorded_at = at if timezone.is_aware(at) else timezone.now()
    return _recorded(decision, channel=channel, store=store, phone=phone, email=email, at=recorded_at,
                     requested_by=requested_by, requester=requester)


def _recorded(decision: Decision, **record) -> Decision:
    """The decision with its audit row's id, or a denial when the row cannot be written."""
    try:
        with _savepoint_if_in_transaction():
            return decision_record(decision, **record)
    except Exception:
        logger.exception("Contact gate could not write its audit record; denying")
        return Decision(allowed=False, reasons=("audit_unavailable",),
                        explanations=("The decision could not be recorded in the audit log; contact is denied.",))


def _savepoint_if_in_transaction():
    """A savepoint inside a caller's transaction, so that a database error here leaves it usable.

    Outside one there is nothing to protect: the facts are one statement and the audit row one INSERT,
    each atomic on its own in autocommit, so BEGIN and COMMIT would only add round trips.
    """
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    return transaction.atomic() if in_transaction else nullcontext()


def _decide(*, channel: str, store, phone: str, email: str, at: datetime, cart, customer,
            facts: selectors.ContactFacts | None) -> Decision:
    """The decision before it is recorded. Raises on bad arguments or a database error (the caller denies)."""
    if timezone.is_naive(at):
        raise ValueError("check_contact needs an aware datetime")
    if channel not in _CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    evaluation = Evaluation(at=at)
    if channel == Channel.EMAIL:
        if not is_valid_email(email):
            # The input is not quoted: a decision outlives an erasure, and its explanation is not blanked.
            evaluation.deny("invalid_email", "The email address is not usable.")
            return evaluation.decision()
    elif not is_valid_e164(phone):
        evaluation.deny("invalid_number", "The number is not a valid phone number in international format.")
        return evaluation.decision()
    if facts is None or not selectors.facts_fit(facts, channel=channel, phone=phone, email=email):
        facts = selectors.contact_facts(store=store, channel=channel, phone=phone, email=email,
                                        since=at - timedelta(hours=24), cart=cart)
    apply_rules(evaluation, facts, channel=channel, store=store, phone=phone, customer=customer, cart=cart)
    return evaluation.decision()
