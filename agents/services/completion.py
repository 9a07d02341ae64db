"""Step 5, the direct path to completion: the checkout link by text or email (through the gate), a manual
invoice with a payment link, a payment taken by phone (a reference, never card data), or a callback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agents.models import Call, Callback, DraftOrder
from agents.services.calls import call_owned_check, call_to_wrap_up
from agents.services.queue import callback_schedule
from compliance.models import Channel
from compliance.selectors import policy_for_store
from compliance.services import Decision, contact_attempt_delivery_record
from recovery.messaging import PermanentSendError, TransientSendError
from recovery.services.attempts import cart_contact_attempt_start
from recovery.services.message_content import link_email_content, link_sms_content, recovery_link
from recovery.services.sequence import Outgoing, deliver
from recovery.services.work_queue import cart_recover_by_phone

CARD_LIKE = re.compile(r"(?:\d[ -]?){13,19}")
CARD_NUMBER_REFUSED = ("That looks like a card number. Never record card details: enter the terminal's "
                       "transaction reference instead.")


@dataclass(frozen=True)
class LinkResult:
    sent: bool
    decision: Decision | None
    error: str = ""


def call_link_send(call: Call, *, agent, channel: str, now: datetime | None = None) -> LinkResult:
    """Send the cart's checkout link by text or email; the gate decides and the attempt is logged."""
    call_owned_check(call, agent)
    cart, customer = call.cart, call.cart.customer
    now = now or timezone.now()
    agent_name = agent.get_full_name() or agent.username
    with transaction.atomic():
        if channel == Channel.SMS:
            number = str(customer.phone) if customer and customer.phone else ""
            decision, attempt = cart_contact_attempt_start(channel=Channel.SMS, store=cart.store, phone=number,
                                                           cart=cart, customer=customer, agent=agent, at=now,
                                                           requester=f"agent:{agent.username}")
            if attempt is not None:
                content = link_sms_content(cart, stop_text=policy_for_store(cart.store).sms_help_text)
                outgoing = Outgoing(Channel.SMS, number, "", content.body)
        elif channel == Channel.EMAIL:
            email = customer.email if customer else ""
            decision, attempt = cart_contact_attempt_start(channel=Channel.EMAIL, store=cart.store, email=email,
                                                           cart=cart, customer=customer, agent=agent, at=now,
                                                           requester=f"agent:{agent.username}")
            if attempt is not None:
                content = link_email_content(cart, email=email, agent_name=agent_name)
                outgoing = Outgoing(Channel.EMAIL, email.lower(), content.subject, content.body,
                                    content.unsubscribe_url, sender_name=cart.store.name)
        else:
            raise ValidationError("Send the link by text or by email.", code="channel")
    if attempt is None:
        return LinkResult(sent=False, decision=decision)
    try:
        provider_id = deliver(outgoing)
    except (PermanentSendError, TransientSendError) as exc:
        contact_attempt_delivery_record(attempt_id=attempt.pk, outcome="not_sent", provider_status="failed",
                                        provider_error=str(exc))
        return LinkResult(sent=False, decision=decision, error=str(exc))
    contact_attempt_delivery_record(attempt_id=attempt.pk, outcome="link_sent", provider_id=provider_id,
                                    provider_status="sent")
    Call.objects.filter(pk=call.pk).update(link_sent_by=channel)
    call.link_sent_by = channel
    return LinkResult(sent=True, decision=decision)


@transaction.atomic
def call_invoice_create(call: Call, *, agent, amount: Decimal, note: str = "") -> DraftOrder:
    """A manual invoice for what was agreed, paid through the store's checkout link."""
    call_owned_check(call, agent)
    if amount is None or amount <= 0:
        raise ValidationError("The invoice needs an amount above zero.", code="amount")
    cart = call.cart
    return DraftOrder.objects.create(cart=cart, call=call, amount=amount, currency=cart.currency,
                                     payment_url=recovery_link(cart), note=note.strip()[:300], created_by=agent)


def looks_like_card_number(text: str) -> bool:
    """Whether `text` holds a card number (13 to 19 digits passing the Luhn check): such a value is refused
    and never shown back on screen, so card data never enters the product."""
    digits = re.sub(r"\D", "", text)
    if not CARD_LIKE.search(text) or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(int(char) for char in reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@transaction.atomic
def call_paid_by_phone(call: Call, *, agent, amount: Decimal, reference: str,
                       now: datetime | None = None) -> Call:
    """The customer paid through the store's phone payment terminal: record the reference and the cart as
    recovered. Card data never enters the product: a reference that looks like a card number is refused."""
    call_owned_check(call, agent)
    reference = reference.strip()
    if amount is None or amount <= 0:
        raise ValidationError("Enter the amount taken.", code="amount")
    if not reference:
        raise ValidationError("Enter the payment terminal's reference.", code="reference")
    if looks_like_card_number(reference):
        raise ValidationError(CARD_NUMBER_REFUSED, code="card_number")
    now = now or timezone.now()
    call.paid_by_phone_amount, call.payment_reference = amount, reference[:100]
    call.save(update_fields=["paid_by_phone_amount", "payment_reference"])
    cart_recover_by_phone(cart_id=call.cart_id, amount=amount, reference=reference, by=agent.username, at=now)
    call_to_wrap_up(call, agent=agent, now=now)
    return call


def call_callback_book(call: Call, *, agent, local_time: datetime, customer_timezone: str) -> Callback:
    """Book the callback the customer asked for, in their local time; then wrap up."""
    call_owned_check(call, agent)
    with transaction.atomic():
        callback = callback_schedule(cart=call.cart, agent=agent, local_time=local_time,
                                     customer_timezone=customer_timezone)
        call.disposition = Call.Disposition.CALLBACK
        call.save(update_fields=["disposition"])
        call_to_wrap_up(call, agent=agent)
    return callback
