"""Writing the audit trail: who viewed a customer's details, changed a policy, list, consent, opt-out or role,
and who exported data.

A request's user and address are known to the code that handles it through `actor_context` (set by
`AuditActorMiddleware` for every request); model changes are recorded by the receivers in compliance.trail_signals,
so an edit in the Django admin, a form or a shell is recorded the same way. Outside a request (a worker, a
webhook, a command) the actor is the product itself, named `system:<what>`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from compliance.models.trail import AuditEvent
from core.client_address import client_ip
from core.log_masking import mask


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    ip: str | None = None
    path: str = ""


SYSTEM = Actor(None, "system")
_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)
_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def actor_of(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    ip = client_ip(request)
    if user is not None and user.is_authenticated:
        if not hasattr(user, "get_username"):  # a store's API token (recovery.authentication.StorePrincipal)
            return Actor(None, str(user), ip, request.path[:300])
        return Actor(user.pk, user.get_username(), ip, request.path[:300])
    return Actor(None, "anonymous", ip, request.path[:300])


def current_actor() -> Actor:
    """Who is acting now: an actor set with `actor_context`, else the request's user (read when asked: the user
    may sign in during the request), else the product."""
    explicit = _actor.get()
    if explicit is not None:
        return explicit
    request = _request.get()
    return SYSTEM if request is None else actor_of(request)


@contextmanager
def actor_context(actor: Actor) -> Iterator[None]:
    """Name the actor of what runs inside, e.g. Actor(None, "system:scrub_carts") in a command or a task."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    """Makes the signed-in user the actor of whatever the request changes (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def audit_record(*, action: str, subject_type: str, subject_id: object = "", summary: str,
                 changes: dict | None = None, actor: Actor | None = None) -> None:
    """Append one event; the summary and the changes are masked so no full number or email is kept here."""
    actor = actor or current_actor()
    AuditEvent.objects.create(
        at=timezone.now(), actor_id=actor.user_id, actor_name=actor.name[:150], action=action,
        subject_type=subject_type[:60], subject_id=str(subject_id)[:64], summary=mask(summary)[:500],
        changes={field: [mask(str(before)), mask(str(after))] for field, (before, after) in (changes or {}).items()},
        ip=actor.ip, path=actor.path[:300])


def audit_view(request: HttpRequest, *, subject_type: str, subject_id: object, summary: str) -> None:
    """A person looked at personal data (a customer's details)."""
    audit_record(action="viewed", subject_type=subject_type, subject_id=subject_id, summary=summary,
                 actor=actor_of(request))


def audit_export(request: HttpRequest, *, what: str, rows: int | None = None) -> None:
    """A person took data out (a CSV download)."""
    detail = f"{what}" + ("" if rows is None else f" ({rows} rows)")
    audit_record(action="exported", subject_type="export", subject_id=request.get_full_path()[:64],
                 summary=f"Downloaded {detail}", actor=actor_of(request))
