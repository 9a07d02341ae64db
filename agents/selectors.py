"""Reads about the recovery team."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from agents.roles import ALL_ROLES


def team_members() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        .prefetch_related("groups")
        .distinct()
        .order_by("first_name", "username")
    )
