"""The demo team's past 90 days: shifts, calls through the script, messages, and who recovered what, so the
dashboards have honest-looking history to show. Written straight to the tables (as history, not through the
gate: none of it contacts anyone)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import AgentProfile, AgentStatusChange, Call, FrictionReason
from compliance.models import ContactAttempt, ContactDecision
from recovery.models import Cart

HOURLY_COSTS = {"agent1": Decimal("31.00"), "agent2": Decimal("28.50"), "agent3": Decimal("33.00")}
OUTCOMES = [("no_answer", 0.35), ("voicemail", 0.2), ("reached", 0.45)]


def seed_demo_activity(stores, rng: random.Random) -> int:
    """Once: skipped when the demo team already has calls. Returns the number of calls written."""
    agents = list(get_user_model().objects.filter(username__in=HOURLY_COSTS).order_by("username"))
    if not agents or Call.objects.filter(agent__in=agents).exists():
        return 0
    now = timezone.now()
    for agent in agents:
        last_shift_end = _shifts(agent, now, rng)
        AgentProfile.objects.update_or_create(user=agent, defaults={
            "hourly_cost": HOURLY_COSTS[agent.username], "status": AgentProfile.Status.AWAY,
            "status_since": last_shift_end, "is_available": False})  # off shift until they sign in
    carts = list(Cart.objects.filter(store__in=stores, abandoned_at__lt=now - timedelta(hours=1))
                 .select_related("customer", "store").order_by("pk"))
    frictions = list(FrictionReason.objects.all())
    written = 0
    for cart in carts:
        if rng.random() < 0.05:  # the control group: nobody contacts it, so fewer of its carts come back
            cart.in_control_group = True
            if cart.status == Cart.Status.RECOVERED and rng.random() < 0.6:
                Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.LOST, recovered_at=None,
                                                       recovered_value=None, status_reason="Not recovered.")
                cart.status = Cart.Status.LOST
            _settle(cart, None)
            continue
        last = None
        if cart.customer and cart.customer.phone and cart.total_value >= 150:
            last, calls = _calls(cart, agents, frictions, rng)
            written += calls
        elif cart.customer and cart.customer.email:
            last = _attempt(cart, "email", cart.abandoned_at + timedelta(hours=1), None, "sent", rng)
        _settle(cart, last)
    return written


def _shifts(agent, now, rng: random.Random):
    """Weekday shifts of eight hours; returns when the last one ended."""
    changes = []
    for days_ago in range(90, 0, -1):
        day = (now - timedelta(days=days_ago)).replace(hour=13, minute=0, second=0, microsecond=0)
        if day.weekday() >= 5:
            continue
        start = day + timedelta(minutes=rng.randint(0, 30))
        changes += [AgentStatusChange(agent=agent, status="available", at=start),
                    AgentStatusChange(agent=agent, status="away", at=start + timedelta(hours=8))]
    AgentStatusChange.objects.bulk_create(changes)
    return changes[-1].at if changes else now


def _attempt(cart, channel, at, agent, outcome, rng: random.Random, **fields) -> ContactAttempt:
    phone = str(cart.customer.phone) if channel != "email" and cart.customer and cart.customer.phone else ""
    email = cart.customer.email if channel == "email" and cart.customer else ""
    decision = ContactDecision.objects.create(at=at, requested_by=agent, requester="demo history", store=cart.store,
                                              phone=phone, email=email, channel=channel, allowed=True,
                                              basis="ebr_inquiry")
    return ContactAttempt.objects.create(decision=decision, store=cart.store, cart=cart, channel=channel, phone=phone,
                                         email=email, agent=agent, at=at, outcome=outcome, **fields)


def _calls(cart, agents, frictions, rng: random.Random) -> tuple[ContactAttempt | None, int]:
    at = (cart.workable_since or cart.abandoned_at) + timedelta(minutes=rng.choice([2, 3, 4, 6, 9, 14, 25, 45]))
    last, made = None, 0
    for _ in range(rng.randint(1, 3)):
        if at > timezone.now():
            break
        agent = rng.choice(agents)
        answer = rng.choices([name for name, _ in OUTCOMES], weights=[weight for _, weight in OUTCOMES])[0]
        won = answer == "reached" and cart.status == Cart.Status.RECOVERED
        disposition = ("recovered" if won else rng.choice(["link_sent", "not_interested", "callback"])) \
            if answer == "reached" else answer
        talk = rng.randint(90, 420) if answer == "reached" else rng.randint(15, 40)
        last = _attempt(cart, "voice", at, agent, disposition, rng, duration_seconds=talk, provider_status="completed")
        steps = range(1, 8) if answer == "reached" and rng.random() < 0.8 else [1, 2, 3, 6, 7] \
            if answer == "reached" else [1, 6, 7]
        call = Call.objects.create(
            cart=cart, agent=agent, attempt=last, opened_at=at, wrapped_up_at=at + timedelta(seconds=talk + 60),
            step=Call.Step.DONE, answer=answer, disposition=disposition, line_status="completed",
            duration_seconds=talk, talk_seconds=talk, after_call_seconds=60,
            answered_by="human" if answer == "reached" else "",
            step_times={str(step): (at + timedelta(seconds=step * 30)).isoformat() for step in steps},
            offered=["Offer a payment link by email or text"] if answer == "reached" else [],
            resolved=("yes" if won or rng.random() < 0.4 else "no") if answer == "reached" else "",
        )
        if answer == "reached":
            call.frictions.set(rng.sample(frictions, k=rng.randint(1, 2)))
        made += 1
        if answer == "reached":
            break
        at += timedelta(hours=rng.choice([5, 23, 33]))
    if cart.first_attempt_at is None and made:
        Cart.objects.filter(pk=cart.pk).update(first_attempt_at=Call.objects.filter(cart=cart)
                                               .order_by("opened_at").values_list("opened_at", flat=True).first(),
                                               call_attempts=made)
    return last, made


def _settle(cart, last: ContactAttempt | None) -> None:
    """Credit a recovered cart as the product would have."""
    fields = {"in_control_group": cart.in_control_group}
    if cart.status == Cart.Status.RECOVERED:
        credited = last is not None and last.at <= cart.recovered_at
        if cart.in_control_group:
            fields.update(attribution=Cart.Attribution.CONTROL)
        elif credited:
            fields.update(attribution=Cart.Attribution.CONTACTED, recovered_attempt=last, recovered_by=last.agent,
                          recovered_channel=last.channel)
        else:
            fields.update(attribution=Cart.Attribution.SELF_RECOVERED)
        fields["upsell_value"] = Decimal("0")
    Cart.objects.filter(pk=cart.pk).update(**fields)
