"""Headline numbers for the home screen; the 30/60/90-day dashboards build on these."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from recovery.models import Cart


def recovery_summary(*, days: int = 30) -> dict:
    since = timezone.now() - timedelta(days=days)
    abandoned = Cart.objects.filter(abandoned_at__gte=since)
    totals = abandoned.aggregate(
        carts=Count("pk"),
        recovered=Count("pk", filter=Q(status=Cart.Status.RECOVERED)),
        value_abandoned=Sum("total_value"),
        value_recovered=Sum("recovered_value", filter=Q(status=Cart.Status.RECOVERED)),
    )
    carts = totals["carts"] or 0
    return {
        "days": days,
        "carts": carts,
        "recovered": totals["recovered"],
        "recovery_rate": (Decimal(totals["recovered"]) / carts * 100).quantize(Decimal("0.1")) if carts else None,
        "value_abandoned": totals["value_abandoned"] or Decimal("0"),
        "value_recovered": totals["value_recovered"] or Decimal("0"),
        "open_now": Cart.objects.open().count(),
        "in_checkout_now": Cart.objects.pending_abandonment().count(),
    }
