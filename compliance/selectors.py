"""Reads the contact gate needs: each is one indexed query."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from compliance.models import (
    CompliancePolicy,
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    DncImport,
    DncList,
    OptOut,
)


def policy_for_store(store) -> CompliancePolicy:
    """The store's policy, or an unsaved one with the safe defaults."""
    try:
        return store.compliance_policy
    except CompliancePolicy.DoesNotExist:
        return CompliancePolicy(store=store)


def latest_optouts(*, phone: str = "", email: str = "") -> dict[str, OptOut]:
    """The newest opt-out or opt-in row per scope for a number (or an address)."""
    identity = Q(phone=phone) if phone else Q(email=email.lower())
    rows = OptOut.objects.filter(identity).order_by("scope", "-at", "-pk").distinct("scope")
    return {row.scope: row for row in rows}


def active_dnc_lists() -> dict[int, DncList]:
    return {dnc_list.pk: dnc_list for dnc_list in DncList.objects.filter(is_active=True)}


def dnc_list_ids_containing(phone: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT dnc_list_id FROM compliance_dncentry WHERE phone = %s", [phone])
        return {row[0] for row in cursor.fetchall()}


def latest_consent(*, store, channel: str, phone: str = "", email: str = "") -> ConsentRecord | None:
    identity = Q(phone=phone) if phone else Q(email=email.lower())
    return (
        ConsentRecord.objects.filter(identity, store=store, channel=channel).order_by("-at", "-pk").first()
    )


def latest_inquiry_at(*, store, phone: str = "", email: str = "") -> datetime | None:
    """When this person last started a checkout with the store (the inquiry behind an EBR)."""
    from recovery.models import Cart

    identity = Q(customer__phone=phone) if phone else Q(customer__email__iexact=email)
    cart = (
        Cart.objects.filter(identity, store=store)
        .exclude(platform_created_at=None)
        .order_by("-platform_created_at")
        .values_list("platform_created_at", flat=True)
        .first()
    )
    return cart


def customer_address(*, store, phone: str) -> tuple[str, str]:
    """(country, region) of the newest customer of the store with this number."""
    from recovery.models import Customer

    row = (
        Customer.objects.filter(store=store, phone=phone)
        .order_by("-updated_at")
        .values_list("country", "region")
        .first()
    )
    return row or ("", "")


def attempt_times(*, channel: str, since: datetime, phone: str = "", email: str = "") -> list[datetime]:
    """Times of attempts on this channel to this number (any store) since `since`, oldest first."""
    identity = Q(phone=phone) if phone else Q(email=email.lower())
    return list(
        ContactAttempt.objects.filter(identity, channel=channel, at__gte=since)
        .order_by("at")
        .values_list("at", flat=True)
    )


def last_attempt_at(*, channel: str, phone: str = "", email: str = "") -> datetime | None:
    identity = Q(phone=phone) if phone else Q(email=email.lower())
    return (
        ContactAttempt.objects.filter(identity, channel=channel).order_by("-at").values_list("at", flat=True).first()
    )


def cart_attempt_count(*, cart, channel: str) -> int:
    return ContactAttempt.objects.filter(cart=cart, channel=channel).count()


def decisions(*, phone: str = "", channel: str = "", allowed: bool | None = None, store=None) -> QuerySet:
    """The audit log, newest first, for supervisors' and admins' searches."""
    rows = ContactDecision.objects.select_related("store", "requested_by").order_by("-at", "-pk")
    if phone:
        rows = rows.filter(Q(phone__contains=phone) | Q(email__icontains=phone))
    if channel:
        rows = rows.filter(channel=channel)
    if allowed is not None:
        rows = rows.filter(allowed=allowed)
    if store is not None:
        rows = rows.filter(store=store)
    return rows


def store_last_texting(*, phone: str):
    """The store that last texted this number, to answer in its name."""
    attempt = (
        ContactAttempt.objects.filter(phone=phone, channel="sms").select_related("store").order_by("-at").first()
    )
    return attempt.store if attempt else None


def dnc_list_overview() -> QuerySet:
    return DncList.objects.order_by("kind", "name")


def recent_dnc_imports(limit: int | None = 20):
    rows = DncImport.objects.select_related("dnc_list", "requested_by").order_by("-created_at")
    return rows[:limit] if limit else rows
