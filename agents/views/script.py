"""Supervisors shape the call script: the stores' value points (step 4) for their team's stores. What applies to
every store, the friction taxonomy (step 2, with step 3's suggestions) and every-store value points, is the
admins' to write (access.writes_every_store): supervisors see it read-only, and a write of it answers 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from agents.forms import FrictionReasonForm, ValuePointForm
from agents.models import FrictionReason, ValuePoint
from core import access
from core.access import store_scope

supervisors = access.role_required(access.SUPERVISOR, access.ADMIN)
KINDS = {"friction": (FrictionReason, FrictionReasonForm, "Friction reason"),
         "value": (ValuePoint, ValuePointForm, "Value point")}
EVERY_STORE_IS_ADMINS = "The friction list and every store's value points are set by admins."


@supervisors
def script_settings(request: HttpRequest) -> HttpResponse:
    scope, every_store = store_scope(request.user), access.writes_every_store(request.user)
    forms = {"friction": FrictionReasonForm(prefix="friction"),
             "value": ValuePointForm(prefix="value", scope=scope, every_store=every_store)}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind in KINDS:
            _check_may_write(kind, None, every_store)
            model, form_class, label = KINDS[kind]
            form = form_class(request.POST, prefix=kind, **_form_arguments(kind, scope, every_store))
            if form.is_valid():
                form.save()
                messages.success(request, f"{label} added.")
                return redirect("agents:script")
            forms[kind] = form
    points = ValuePoint.objects.select_related("store")
    if scope is not None:  # their stores' points, and every store's (read-only for them)
        points = points.filter(Q(store__in=scope) | Q(store__isnull=True))
    context = {"frictions": FrictionReason.objects.all(), "value_points": points, "scope": scope,
               "writes_every_store": every_store, "friction_form": forms["friction"], "value_form": forms["value"]}
    return render(request, "agents/script_settings.html", context, status=422 if request.method == "POST" else 200)


@supervisors
def script_item_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        return redirect("agents:script")
    model, form_class, label = KINDS[kind]
    scope, every_store = store_scope(request.user), access.writes_every_store(request.user)
    items = model.objects.all()
    if kind == "value" and scope is not None:  # another store's point is "not found"; every store's is seen
        items = items.filter(Q(store__in=scope) | Q(store__isnull=True))
    item = get_object_or_404(items, pk=pk)
    _check_may_write(kind, item, every_store)
    form = form_class(request.POST or None, instance=item, **_form_arguments(kind, scope, every_store))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{label} saved.")
        return redirect("agents:script")
    return render(request, "agents/script_item_edit.html", {"form": form, "label": label, "item": item},
                  status=422 if request.method == "POST" else 200)


def _check_may_write(kind: str, item, every_store: bool) -> None:
    """403 unless the user may write this: a friction reason, or an every-store value point, takes an admin."""
    applies_to_every_store = kind == "friction" or (item is not None and item.store_id is None)
    if applies_to_every_store and not every_store:
        raise PermissionDenied(EVERY_STORE_IS_ADMINS)


def _form_arguments(kind: str, scope, every_store: bool) -> dict:
    """Value points belong to stores, so their form is limited to the writer's (blank, every store, for admins
    only); friction reasons are everyone's."""
    return {"scope": scope, "every_store": every_store} if kind == "value" else {}
