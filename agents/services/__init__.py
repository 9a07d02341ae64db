"""Writes for the agents app: the work queue (`queue`), the call console (`calls`), completion (`completion`)."""

from agents.services.queue import (
    CALLBACK_GRACE,
    LEASE,
    HourlyLimitReached,
    WrapUpRequired,
    call_retries_release,
    callback_schedule,
    cart_release,
    next_cart,
)

__all__ = [
    "CALLBACK_GRACE",
    "LEASE",
    "HourlyLimitReached",
    "WrapUpRequired",
    "call_retries_release",
    "callback_schedule",
    "cart_release",
    "next_cart",
]
