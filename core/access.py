"""The product's three roles, as Django groups, and the checks views use."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

AGENT = "Recovery specialists"
SUPERVISOR = "Supervisors"
ADMIN = "Admins"
ALL_ROLES = (AGENT, SUPERVISOR, ADMIN)

StoreScope = frozenset[int] | None  # the stores a user may see; None: every store


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


def store_scope(user) -> StoreScope:
    """The stores whose carts, agents and figures `user` sees: their profile's stores. None (every store) for
    admins, and for anyone whose profile names none: a team that works every store needs no setup.

    Every app's views limit what they show by it, so it lives here, below them; it reads the agents app's
    profile through the user's `agent_profile` relation rather than importing the agents app."""
    if ADMIN in user_roles(user):
        return None
    if hasattr(user, "_store_scope"):  # one query per request: the view and its fragments
        return user._store_scope
    ids = frozenset(get_user_model().objects.filter(pk=user.pk, agent_profile__stores__isnull=False)
                    .values_list("agent_profile__stores", flat=True))
    user._store_scope = ids or None
    return user._store_scope


def within_scope(rows: QuerySet, scope: StoreScope, *, field: str = "store") -> QuerySet:
    """`rows` limited to the scope's stores, through `field` (a lookup path to the store)."""
    return rows if scope is None else rows.filter(**{f"{field}__in": scope})
