"""What a supervisor does from the live floor's alerts: hand a waiting cart to an agent, or send an agent a notice
that shows on their console until they dismiss it.

Handing a cart is the work queue's reservation made on the supervisor's word, so it keeps every rule the queue
keeps when it hands a cart out itself: the agent is available with nothing in hand (no open call, no other cart
held, no wrap-up owed, under their hourly limit), works the cart's store and speaks the customer's language; the
cart is in the call queue and nobody else holds it; and the compliance gate allows calling the customer now. The
cart is leased to the agent (recovery's `cart_reserve`, the lease the queue uses), so their next "Next cart" opens
it, the dial asks the gate again, audited, and a lease the agent never takes lapses back into the queue. Each
refusal is a `ValidationError` whose sentence the floor shows; each hand-off is in the audit trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agents.models import AgentNotice, AgentProfile, Call
from agents.selectors import team_members
from agents.services.queue import LEASE
from compliance.models import ContactAttempt
from compliance.services import check_contact
from compliance.services.trail import audit_record
from core.access import AGENT, StoreScope, within_scope
from recovery.models import Cart
from recovery.services.queue_sql import cart_reserve

NOTICE_LENGTH = 300


def _name(user) -> str:
    return user.get_full_name() or user.username


def _team_agent_locked(agent_id: int, scope: StoreScope) -> AgentProfile:
    """The agent's profile, row-locked so their status cannot change until the hand-off commits (an agent who
    goes away meanwhile waits, then finds the cart handed before they left); refused outside the team."""
    profile = (AgentProfile.objects.select_for_update(of=("self",)).select_related("user")
               .filter(user_id=agent_id, user__groups__name=AGENT, user__in=team_members(scope).values("pk"))
               .first())
    if profile is None:
        raise ValidationError("That agent is not on your team.", code="not_on_team")
    return profile


def _agent_free_check(profile: AgentProfile, now: datetime) -> None:
    """Available, with nothing in hand: what the queue asks before it hands out a new cart."""
    name, agent = _name(profile.user), profile.user
    if profile.status == AgentProfile.Status.AWAY:
        why = f" ({profile.get_away_reason_display().lower()})" if profile.away_reason else ""
        raise ValidationError(f"{name} has gone away{why}: choose an available agent.", code="away")
    if profile.status != AgentProfile.Status.AVAILABLE or Call.objects.filter(agent=agent,
                                                                              wrapped_up_at__isnull=True).exists():
        raise ValidationError(f"{name} is on a call now: choose an available agent.", code="busy")
    if ContactAttempt.objects.filter(agent=agent, outcome="").exists():
        raise ValidationError(f"{name} owes the wrap-up of a call: choose an available agent.", code="wrap_up")
    limit = profile.max_attempts_per_hour
    last_hour = ContactAttempt.objects.filter(agent=agent, at__gt=now - timedelta(hours=1))
    if limit is not None and last_hour.count() >= limit:
        raise ValidationError(f"{name} has reached their limit of calls for this hour.", code="hourly_limit")
    held = Cart.objects.filter(reserved_by=agent, reserved_until__gt=now, status=Cart.Status.OPEN)
    if held.exists():
        raise ValidationError(f"{name} already holds a cart: it opens on their next “Next cart”.", code="holds")


def _cart_locked(cart_id: int, scope: StoreScope) -> Cart:
    """The cart, row-locked against the queue's pop (which steps over locked carts), within the scope."""
    cart = (within_scope(Cart.objects.select_for_update(of=("self",)), scope)
            .select_related("store", "customer", "reserved_by").filter(pk=cart_id).first())
    if cart is None:
        raise ValidationError("That cart is not in your stores.", code="no_cart")
    return cart


def _cart_callable_check(cart: Cart, profile: AgentProfile, now: datetime) -> None:
    """In the call queue, nobody else's, in the agent's stores and languages, and allowed by the gate now."""
    customer, name = cart.customer, _name(profile.user)
    if (cart.status != Cart.Status.OPEN or cart.route != Cart.Route.CALL_FIRST or cart.calls_ended_at is not None
            or cart.in_control_group or customer is None or not customer.phone):
        raise ValidationError("That cart is no longer in the call queue.", code="not_queued")
    if cart.reserved_until and cart.reserved_until > now and cart.reserved_by_id != profile.user_id:
        raise ValidationError(f"{_name(cart.reserved_by)} is working that cart already.", code="taken")
    stores = set(profile.stores.values_list("pk", flat=True))
    if stores and cart.store_id not in stores:
        raise ValidationError(f"{name} does not work {cart.store.name}.", code="other_store")
    if customer.language and profile.spoken_languages and customer.language not in profile.spoken_languages:
        raise ValidationError(f"{name} does not speak the customer's language ({customer.language}).",
                              code="language")
    decision = check_contact(channel="voice", store=cart.store, phone=customer.phone.as_e164, customer=customer,
                             cart=cart, at=now, audit=False)
    if not decision.allowed:
        raise ValidationError("The compliance gate does not allow calling this customer now: "
                              + " ".join(decision.explanations), code="gate")


@transaction.atomic
def cart_hand_to_agent(*, cart_id: int, agent_id: int, by, scope: StoreScope,
                       now: datetime | None = None) -> AgentNotice:
    """Lease the cart to the agent on a supervisor's word (`by`, who sees `scope`'s stores), tell the agent on
    their console, and record it in the audit trail; returns the notice. Raises ValidationError with the reason."""
    now = now or timezone.now()
    profile = _team_agent_locked(agent_id, scope)
    _agent_free_check(profile, now)
    cart = _cart_locked(cart_id, scope)
    _cart_callable_check(cart, profile, now)
    cart_reserve(cart_id=cart.pk, agent_id=profile.user_id, until=now + LEASE, now=now)
    who = str(cart.customer) or "a customer"
    audit_record(action="handed_out", subject_type="cart", subject_id=cart.pk,
                 summary=f"{_name(by)} handed cart {cart.pk} ({cart.store.name}) to {_name(profile.user)}")
    return AgentNotice.objects.create(
        agent=profile.user, sent_by=by, cart=cart, sent_at=now,
        text=f"{_name(by)} handed you {who}'s cart ({cart.store.name}): press Next cart to call now.")


def agent_notice_send(*, agent_id: int, by, text: str, scope: StoreScope, now: datetime | None = None) -> AgentNotice:
    """A supervisor's notice to an agent of their team, shown on the agent's console until dismissed."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError("Write the notice first.", code="empty")
    if len(text) > NOTICE_LENGTH:
        raise ValidationError(f"Keep the notice under {NOTICE_LENGTH} characters.", code="long")
    agent = team_members(scope).filter(pk=agent_id, groups__name=AGENT).first()
    if agent is None:
        raise ValidationError("That agent is not on your team.", code="not_on_team")
    return AgentNotice.objects.create(agent=agent, sent_by=by, text=text, sent_at=now or timezone.now())


def agent_notice_dismiss(*, notice_id: int, agent, now: datetime | None = None) -> int:
    """The agent read the notice: it leaves their console. Only their own; returns how many were dismissed."""
    return (AgentNotice.objects.filter(Q(pk=notice_id) & Q(agent=agent) & Q(dismissed_at__isnull=True))
            .update(dismissed_at=now or timezone.now()))
