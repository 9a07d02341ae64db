"""Supervisors shape the call script: the friction taxonomy (step 2, with step 3's suggestions) and the
stores' value points (step 4)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from agents import roles
from agents.forms import FrictionReasonForm, ValuePointForm
from agents.models import FrictionReason, ValuePoint

supervisors = roles.role_required(roles.SUPERVISOR, roles.ADMIN)
KINDS = {"friction": (FrictionReason, FrictionReasonForm, "Friction reason"),
         "value": (ValuePoint, ValuePointForm, "Value point")}


@supervisors
def script_settings(request: HttpRequest) -> HttpResponse:
    forms = {"friction": FrictionReasonForm(prefix="friction"), "value": ValuePointForm(prefix="value")}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind in KINDS:
            model, form_class, label = KINDS[kind]
            form = form_class(request.POST, prefix=kind)
            if form.is_valid():
                form.save()
                messages.success(request, f"{label} added.")
                return redirect("agents:script")
            forms[kind] = form
    context = {"frictions": FrictionReason.objects.all(), "value_points": ValuePoint.objects.select_related("store"),
               "friction_form": forms["friction"], "value_form": forms["value"]}
    return render(request, "agents/script_settings.html", context, status=422 if request.method == "POST" else 200)


@supervisors
def script_item_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        return redirect("agents:script")
    model, form_class, label = KINDS[kind]
    item = get_object_or_404(model, pk=pk)
    form = form_class(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{label} saved.")
        return redirect("agents:script")
    return render(request, "agents/script_item_edit.html", {"form": form, "label": label, "item": item},
                  status=422 if request.method == "POST" else 200)
