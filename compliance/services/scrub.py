"""The scrub's verdict: may anybody still contact a cart's customer? Recovery applies it (`recovery.services.scrub`
suppresses the open carts nobody may contact), since carts are recovery's.

A cart is unreachable when no channel could ever reach its customer: every channel is denied for a lasting reason
(a DNC list, an opt-out, an unusable number or address). Waiting-type denials (hours, caps) and list staleness do
not count: they pass.

After a DNC list changed (every finished import), compliance announces it (`lists_changed_announce`); recovery
subscribes from `RecoveryConfig.ready()` and queues its scrub of the open carts. A plain list of callbacks rather
than a signal: the one business step it starts is named where it is subscribed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from compliance.models import Channel
from compliance.services.gate import Decision, check_contact

LASTING_PREFIXES = ("dnc_", "opted_out_", "invalid_")
NO_CHANNEL = "No channel may contact this customer."


@dataclass(frozen=True)
class Unreachable:
    """Why nobody may contact a customer any more: the gate's reason codes, and its sentences for a person."""

    reasons: list[str]
    explanation: str


def _lasting(decision: Decision) -> bool:
    return not decision.allowed and any(reason.startswith(LASTING_PREFIXES) for reason in decision.reasons)


def cart_reachability(cart, *, at: datetime) -> list[Decision] | None:
    """The lasting denials for each channel of the cart's customer, or None if some channel remains."""
    customer = cart.customer
    checks = []
    if customer and customer.phone:
        checks += [(Channel.VOICE, {"phone": str(customer.phone)}), (Channel.SMS, {"phone": str(customer.phone)})]
    if customer and customer.email:
        checks.append((Channel.EMAIL, {"email": customer.email}))
    denials = []
    for channel, identity in checks:
        decision = check_contact(channel=channel, store=cart.store, at=at, customer=customer, audit=False, **identity)
        if "internal_error" in decision.reasons or not _lasting(decision):
            return None
        denials.append(decision)
    return denials


def cart_unreachable(cart, *, at: datetime) -> Unreachable | None:
    """The verdict on one cart (with its store and customer loaded): why nobody may contact its customer, or None
    when some channel remains (or the gate could not tell: a cart is never suppressed on an internal error)."""
    denials = cart_reachability(cart, at=at)
    if denials is None:
        return None
    reasons = sorted({reason for decision in denials for reason in decision.reasons})
    sentences = [sentence for decision in denials for sentence in decision.explanations]
    return Unreachable(reasons=reasons, explanation=" ".join(dict.fromkeys(sentences))[:1000] or NO_CHANNEL)


_on_lists_changed: list[Callable[[], None]] = []


def lists_changed_subscribe(callback: Callable[[], None]) -> None:
    """Called from a higher app's `AppConfig.ready()`: `callback` runs after every change of a DNC list."""
    if callback not in _on_lists_changed:
        _on_lists_changed.append(callback)


def lists_changed_announce() -> None:
    """A DNC list changed (an import finished): run the subscribers (recovery queues its scrub of open carts).
    Their errors propagate, so a shell without a broker can say so."""
    for callback in _on_lists_changed:
        callback()
