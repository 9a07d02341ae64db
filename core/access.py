"""The product's three roles, as Django groups, and the checks views use."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

AGENT = "Recovery specialists"
SUPERVISOR = "Supervisors"
ADMIN = "Admins"
ALL_ROLES = (AGENT, SUPERVISOR, ADMIN)


def user_roles(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False) or not hasattr(user, "groups"):
        return set()  # anonymous, or a store authenticated by API token
    cached = getattr(user, "_product_roles", None)  # one query per request: the view's check and the menu
    if cached is not None:
        return set(cached)
    roles = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ADMIN)
    user._product_roles = frozenset(roles)
    return roles


def writes_every_store(user) -> bool:
    """Whether `user` may write what applies to every store: the friction taxonomy and every-store value points.
    Only admins: a supervisor writes for their team's stores, and even one whose profile names no store (who sees
    every store) writes each store's value points, not all stores' at once."""
    return ADMIN in user_roles(user)


def role_required(*roles: str):
    """Login required, then 403 unless the user holds one of `roles`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not user_roles(request.user) & set(roles):
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
