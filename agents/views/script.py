"""Supervisors shape the call script: the friction taxonomy (step 2, with step 3's suggestions) and the
stores' value points (step 4)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from agents import roles
from agents.forms import FrictionReasonForm, ValuePointForm
from agents.models import FrictionReason, ValuePoint
from agents.selectors import store_scope

supervisors = roles.role_required(roles.SUPERVISOR, roles.ADMIN)
KINDS = {"friction": (FrictionReason, FrictionReasonForm, "Friction reason"),
         "value": (ValuePoint, ValuePointForm, "Value point")}


@supervisors
def script_settings(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request.user)
    forms = {"friction": FrictionReasonForm(prefix="friction"), "value": ValuePointForm(prefix="value", scope=scope)}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind in KINDS:
            model, form_class, label = KINDS[kind]
            form = form_class(request.POST, prefix=kind, **_scope_argument(kind, scope))
            if form.is_valid():
                form.save()
                messages.success(request, f"{label} added.")
                return redirect("agents:script")
            forms[kind] = form
    points = ValuePoint.objects.select_related("store")
    if scope is not None:  # their stores' points, and every store's (read-only for them)
        points = points.filter(Q(store__in=scope) | Q(store__isnull=True))
    context = {"frictions": FrictionReason.objects.all(), "value_points": points, "scope": scope,
               "friction_form": forms["friction"], "value_form": forms["value"]}
    return render(request, "agents/script_settings.html", context, status=422 if request.method == "POST" else 200)


@supervisors
def script_item_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        return redirect("agents:script")
    model, form_class, label = KINDS[kind]
    scope = store_scope(request.user)
    items = model.objects.filter(store__in=scope) if kind == "value" and scope is not None else model.objects.all()
    item = get_object_or_404(items, pk=pk)
    form = form_class(request.POST or None, instance=item, **_scope_argument(kind, scope))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{label} saved.")
        return redirect("agents:script")
    return render(request, "agents/script_item_edit.html", {"form": form, "label": label, "item": item},
                  status=422 if request.method == "POST" else 200)


def _scope_argument(kind: str, scope) -> dict:
    """Value points belong to stores, so their form is limited to the supervisor's; frictions are everyone's."""
    return {"scope": scope} if kind == "value" else {}
