"""Reads for calling hours: the `CallingRule` rows of one country."""

from __future__ import annotations

from django.db.models import QuerySet

from compliance.models import CallingRule


def calling_rules_for_country(*, country: str) -> QuerySet[CallingRule]:
    """Every rule of a country in one query: the national row (region blank) and each state row."""
    return CallingRule.objects.filter(country=country).order_by("region")
