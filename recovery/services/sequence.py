"""The automated sequence: a message 1 hour, 24 hours and 3 days after abandonment.

Each step is an email, except that one step may be a text: the first step within 48
hours of abandonment at which the customer has SMS consent and the compliance gate
allows a text (the carriers' rule for cart recovery: one text per abandonment, within
48 hours, with consent). Every message passes the gate and is a contact attempt.

Sending is at most once. A step is claimed by inserting its `RecoveryMessage` row (one
per cart and step) in the transaction that asks the gate and records the attempt; the
provider is called only after that commits. A retried or redelivered task finds the
row and sends nothing, unless the row says the provider failed, in which case the
step is tried again. The sequence stops at once when the cart is recovered or
closed, when an agent calls it, or when the customer opts out of every channel left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import transaction
from django.utils import timezone

from compliance.models import Channel, ContactAttempt, OptOut
from compliance.models.choices import OptOutScope
from compliance.selectors import policy_for_store
from compliance.services.gate import Decision, contact_attempt_delivery_record
from compliance.services.optouts import optout_record
from recovery.messaging import PermanentSendError, SmsNotConfigured, TransientSendError, sms_send
from recovery.models import Cart, MessageStep, RecoveryMessage
from recovery.services.attempts import cart_contact_attempt_start
from recovery.services.message_content import email_content, sms_content

logger = logging.getLogger(__name__)

STEP_OFFSETS = {MessageStep.FIRST: timedelta(hours=1), MessageStep.REMINDER: timedelta(hours=24),
                MessageStep.FINAL: timedelta(days=3)}
LAST_STEP = max(STEP_OFFSETS)
SMS_WINDOW = timedelta(hours=48)
# Steps delayed (worker down, sequence resumed late) are spaced out rather than sent back to back.
MIN_MESSAGE_GAP = timedelta(hours=12)
OPTED_OUT = {"opted_out_all", "opted_out_email", "opted_out_sms"}


@dataclass
class Outgoing:
    """A message the gate allowed, to be handed to the provider after the claim commits."""

    channel: str
    recipient: str
    subject: str
    body: str
    unsubscribe_url: str = ""
    sender_name: str = ""


SEQUENCE_FIELDS = ["sequence_anchor_at", "next_message_step", "next_message_at"]


def sequence_would_start(cart: Cart) -> bool:
    """Whether `sequence_start` would start this cart's sequence: open, never started, not a control."""
    return cart.sequence_anchor_at is None and cart.status == Cart.Status.OPEN and not cart.in_control_group


def sequence_start_if_routed(cart: Cart, *, now: datetime) -> list[str]:
    """Start the sequence of a cart routed automated-first that has none yet; returns the fields the caller must
    save (none when nothing started).

    The explicit step of the services that decide a cart's route (opening an abandoned cart, re-routing it on a
    new delivery): a score never starts anything. The caller holds the cart's row lock."""
    if cart.route == Cart.Route.AUTOMATED_FIRST and sequence_start(cart, now=now):
        return list(SEQUENCE_FIELDS)
    return []


def sequence_start(cart: Cart, *, now: datetime) -> bool:
    """Start the sequence for an automated-first cart (once per cart); True if it started now.

    The caller holds the cart's row lock and saves the cart.
    """
    if not sequence_would_start(cart):
        return False
    cart.sequence_anchor_at = cart.abandoned_at or now
    cart.next_message_step = MessageStep.FIRST
    cart.next_message_at = cart.sequence_anchor_at + STEP_OFFSETS[MessageStep.FIRST]
    return True


def sequence_resume(cart: Cart, *, now: datetime) -> None:
    """After the planned calls: carry on with the first step not yet taken, an hour from now, the later
    steps keeping their spacing. Saves the cart (the caller holds its row lock)."""
    taken = RecoveryMessage.objects.filter(cart=cart).order_by("-step").values_list("step", flat=True).first() or 0
    step = taken + 1
    if step > LAST_STEP:
        cart.next_message_step, cart.next_message_at = 0, None
    else:
        cart.sequence_anchor_at = now + timedelta(hours=1) - STEP_OFFSETS[step]
        cart.next_message_step, cart.next_message_at = step, now + timedelta(hours=1)
    cart.save(update_fields=["sequence_anchor_at", "next_message_step", "next_message_at", "updated_at"])


def message_step_send(*, cart_id: int, step: int, now: datetime | None = None) -> RecoveryMessage | None:
    """Take step `step` of a cart's sequence if it is due: claim, ask the gate, send.

    Returns the step's message row (None when nothing was due). Raises TransientSendError when the
    provider could not take the message; the row is then FAILED and a retry will try again.
    """
    now = now or timezone.now()
    message, outgoing = _claim(cart_id=cart_id, step=step, now=now)
    if outgoing is None:
        return message
    try:
        provider_id = deliver(outgoing)
    except PermanentSendError as exc:
        # No provider configured: nothing was tried, so the step is not sent (not "refused by the provider").
        status = (RecoveryMessage.Status.FAILED if isinstance(exc, SmsNotConfigured)
                  else RecoveryMessage.Status.UNDELIVERABLE)
        _finish(message, status=status, detail=str(exc), provider_status="failed")
        if exc.recipient_stopped:
            optout_record(phone=outgoing.recipient, scope=OptOutScope.SMS, source=OptOut.Source.SMS,
                          evidence=f"Twilio reports the number unsubscribed (error {exc.code}).")
        return message
    except Exception as exc:
        _finish(message, status=RecoveryMessage.Status.FAILED, detail=str(exc)[:1000], provider_status="failed")
        raise exc if isinstance(exc, TransientSendError) else TransientSendError(str(exc)) from exc
    _finish(message, status=RecoveryMessage.Status.SENT, provider_id=provider_id, sent_at=timezone.now())
    return message


@transaction.atomic
def _claim(*, cart_id: int, step: int, now: datetime) -> tuple[RecoveryMessage | None, Outgoing | None]:
    cart = (Cart.objects.select_for_update(of=("self",)).select_related("store", "customer")
            .filter(pk=cart_id).first())
    if cart is None:
        return None, None
    message = RecoveryMessage.objects.select_for_update().filter(cart=cart, step=step).first()
    if message is not None and message.status != RecoveryMessage.Status.FAILED:
        return message, None  # taken already: a retried or duplicated task sends nothing
    if cart.status != Cart.Status.OPEN:
        return message, None
    if message is None and not (cart.next_message_step == step and cart.next_message_at
                                and cart.next_message_at <= now):
        return None, None  # not due (stopped, rescheduled, or another step is next)
    if cart.reserved_until and cart.reserved_until > now:
        cart.next_message_at = cart.reserved_until  # an agent has it open: not while they work it
        cart.save(update_fields=["next_message_at", "updated_at"])
        return message, None
    outgoing, attempt, decisions = _reach(cart, step=step, now=now)
    if outgoing is None:
        return _not_sent(cart, step=step, message=message, decisions=decisions, now=now), None
    message = message or RecoveryMessage(cart=cart, step=step)
    message.channel, message.recipient, message.attempt = outgoing.channel, outgoing.recipient, attempt
    message.status, message.detail, message.tries = RecoveryMessage.Status.SENDING, "", message.tries + 1
    message.claimed_at = now
    message.save()
    if cart.next_message_step == step:
        _advance(cart, step=step, now=now)
    return message, outgoing


# Far longer than any hand-over to the provider takes (its client times out in seconds): a step still
# "sending" this long after its claim lost its worker between the claim and the provider's answer.
SENDING_ABANDONED_AFTER = timedelta(minutes=15)
INTERRUPTED_DETAIL = ("The worker stopped while handing this message to the provider: it may or may not have gone "
                      "out, so it is not sent again (a customer is never contacted twice for one step).")


def interrupted_sends_flag(*, now: datetime | None = None) -> int:
    """Mark the steps whose worker died between the claim and the provider's answer; returns how many.

    At most once wins over at least once: such a step is never sent again. It stays counted as a text for
    the one-text rule and its contact attempt stays on the record, so the gate's caps still hold, and it
    says what happened instead of "sending" forever.
    """
    now = now or timezone.now()
    stale = RecoveryMessage.objects.filter(status=RecoveryMessage.Status.SENDING,
                                           claimed_at__lt=now - SENDING_ABANDONED_AFTER)
    flagged = list(stale.values_list("pk", "cart_id", "step", "channel"))
    if flagged:
        RecoveryMessage.objects.filter(pk__in=[pk for pk, *_ in flagged], status=RecoveryMessage.Status.SENDING) \
            .update(status=RecoveryMessage.Status.INTERRUPTED, detail=INTERRUPTED_DETAIL)
        for _pk, cart_id, step, channel in flagged:
            logger.warning("Step %s (%s) of cart %s was interrupted mid-send; not sent again", step, channel, cart_id)
    return len(flagged)


def _sms_number(cart: Cart, now: datetime) -> str:
    """The number to text at this step, or "" when the one-text rule or consent rules it out."""
    customer = cart.customer
    if customer is None or not customer.accepts_sms_marketing:
        return ""
    if now - (cart.abandoned_at or now) > SMS_WINDOW:
        return ""
    texts = RecoveryMessage.objects.filter(cart=cart, channel=Channel.SMS)
    if texts.exclude(status=RecoveryMessage.Status.FAILED).exists():  # a failed send never reached anyone
        return ""
    return str(customer.sms_marketing_phone or customer.phone or "")


def _reach(cart: Cart, *, step: int, now: datetime) -> tuple[Outgoing | None, ContactAttempt | None, list[Decision]]:
    """Ask the gate for a text (when the one-text rule allows it), then for an email."""
    customer, decisions = cart.customer, []
    requester = f"task:recovery_message:{step}"
    number = _sms_number(cart, now)
    if number:
        decision, attempt = cart_contact_attempt_start(channel=Channel.SMS, store=cart.store, phone=number, cart=cart,
                                                       customer=customer, requester=requester, at=now)
        if attempt is not None:
            content = sms_content(cart, step=step, stop_text=policy_for_store(cart.store).sms_help_text)
            return Outgoing(Channel.SMS, number, "", content.body), attempt, decisions
        decisions.append(decision)
    if customer is not None and customer.email:
        decision, attempt = cart_contact_attempt_start(channel=Channel.EMAIL, store=cart.store, email=customer.email,
                                                       cart=cart, customer=customer, requester=requester, at=now)
        if attempt is not None:
            content = email_content(cart, step=step, email=customer.email)
            return (Outgoing(Channel.EMAIL, customer.email.lower(), content.subject, content.body,
                             content.unsubscribe_url, sender_name=cart.store.name), attempt, decisions)
        decisions.append(decision)
    return None, None, decisions


def _not_sent(cart: Cart, *, step: int, message: RecoveryMessage | None, decisions: list[Decision],
              now: datetime) -> RecoveryMessage | None:
    """No channel was allowed: wait when waiting helps, else record why and move on (or stop)."""
    waits = [decision.next_allowed_at for decision in decisions if decision.next_allowed_at]
    if waits:
        cart.next_message_at = max(now + timedelta(minutes=1), min(waits))
        cart.save(update_fields=["next_message_at", "updated_at"])
        return message
    message = message or RecoveryMessage(cart=cart, step=step)
    if decisions:
        message.status = RecoveryMessage.Status.DENIED
        message.detail = " ".join(" ".join(decision.explanations) for decision in decisions)[:1000]
    else:
        message.status = RecoveryMessage.Status.SKIPPED
        message.detail = "No email address and no text allowed."
    message.save()
    reasons = {reason for decision in decisions for reason in decision.reasons}
    # Nothing asked (no email, no text possible) or opted out of all that was asked: nothing later can go.
    if not decisions or all(set(decision.reasons) & OPTED_OUT for decision in decisions):
        cart.next_message_step, cart.next_message_at = 0, None
        cart.save(update_fields=["next_message_step", "next_message_at", "updated_at"])
        logger.info("Sequence stopped for cart %s (%s)", cart.pk, ", ".join(sorted(reasons)) or "unreachable")
    elif cart.next_message_step == step:
        _advance(cart, step=step, now=now)
    return message


def _advance(cart: Cart, *, step: int, now: datetime) -> None:
    following = step + 1
    if following > LAST_STEP:
        cart.next_message_step, cart.next_message_at = 0, None
    else:
        due = (cart.sequence_anchor_at or now) + STEP_OFFSETS[following]
        cart.next_message_step, cart.next_message_at = following, max(due, now + MIN_MESSAGE_GAP)
    cart.save(update_fields=["next_message_step", "next_message_at", "updated_at"])


def deliver(outgoing: Outgoing) -> str:
    """Hand a message the gate allowed to the SMS backend or the email backend; returns the provider id."""
    if outgoing.channel == Channel.SMS:
        return sms_send(to=outgoing.recipient, body=outgoing.body).sid
    message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
    sender = formataddr((outgoing.sender_name, settings.DEFAULT_FROM_EMAIL)) if outgoing.sender_name else None
    email = EmailMessage(subject=outgoing.subject, body=outgoing.body, to=[outgoing.recipient], from_email=sender,
                         headers={"Message-ID": message_id, "List-Unsubscribe": f"<{outgoing.unsubscribe_url}>"})
    try:
        email.send()
    except OSError as exc:  # SMTP unreachable or refused for now
        raise TransientSendError(f"The mail server did not take the message: {exc}") from exc
    return message_id


def _finish(message: RecoveryMessage, *, status: str, detail: str = "", provider_id: str = "",
            provider_status: str = "", sent_at: datetime | None = None) -> None:
    message.status, message.detail = status, detail[:1000]
    message.provider_id, message.sent_at = provider_id[:64], sent_at
    message.save(update_fields=["status", "detail", "provider_id", "sent_at"])
    if message.attempt_id:
        outcome = {RecoveryMessage.Status.SENT: "sent", RecoveryMessage.Status.FAILED: "not_sent"}.get(status, "failed")
        contact_attempt_delivery_record(
            attempt_id=message.attempt_id, outcome=outcome, provider_id=provider_id,
            provider_status=provider_status or outcome,
            provider_error=detail if status != RecoveryMessage.Status.SENT else "")
