"""Supervisors shape the call script of their team's stores: what the agent says (the spoken lines, with
placeholders and a preview on a sample cart), the store's own friction reasons (step 2, with step 3's suggestions)
and its value points (step 4). What applies to every store, the shared friction reasons and every-store value
points, is the admins' to write (access.writes_every_store): supervisors see it read-only, and a write of it
answers 403."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agents import script_lines, selectors
from agents.forms import FrictionReasonForm, ScriptLineForm, ValuePointForm
from agents.models import FrictionReason, ScriptLine, ValuePoint
from agents.services.script import script_line_reset, script_line_save
from core import access
from core.access import store_scope
from recovery.models import Store

supervisors = access.role_required(access.SUPERVISOR, access.ADMIN)
KINDS = {"friction": (FrictionReason, FrictionReasonForm, "Friction reason"),
         "value": (ValuePoint, ValuePointForm, "Value point")}
EVERY_STORE_IS_ADMINS = "The reasons and value points every store shares are set by admins."


@supervisors
def script_settings(request: HttpRequest) -> HttpResponse:
    scope, every_store = store_scope(request.user), access.writes_every_store(request.user)
    forms = {kind: form_class(prefix=kind, scope=scope, every_store=every_store)
             for kind, (_model, form_class, _label) in KINDS.items()}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind in KINDS:
            model, form_class, label = KINDS[kind]
            form = form_class(request.POST, prefix=kind, scope=scope, every_store=every_store)
            if form.is_valid():
                form.save()
                messages.success(request, f"{label} added.")
                return redirect("agents:script")
            forms[kind] = form
    context = {"frictions": _within(FrictionReason.objects.select_related("store"), scope),
               "value_points": _within(ValuePoint.objects.select_related("store"), scope), "scope": scope,
               "writes_every_store": every_store, "friction_form": forms["friction"], "value_form": forms["value"],
               "line_rows": selectors.script_line_rows(scope), "line_choices": ScriptLine.Line.choices}
    return render(request, "agents/script_settings.html", context, status=422 if request.method == "POST" else 200)


@supervisors
def script_item_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in KINDS:
        return redirect("agents:script")
    model, form_class, label = KINDS[kind]
    scope, every_store = store_scope(request.user), access.writes_every_store(request.user)
    item = get_object_or_404(_within(model.objects.all(), scope), pk=pk)  # another store's is "not found"
    if item.store_id is None and not every_store:
        raise PermissionDenied(EVERY_STORE_IS_ADMINS)
    form = form_class(request.POST or None, instance=item, scope=scope, every_store=every_store)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{label} saved.")
        return redirect("agents:script")
    return render(request, "agents/script_item_edit.html", {"form": form, "label": label, "item": item},
                  status=422 if request.method == "POST" else 200)


@supervisors
def script_line(request: HttpRequest, store_id: int, line: str) -> HttpResponse:
    """Edit one spoken line of a store: save its own wording (refused on screen for an unknown placeholder), or go
    back to the default line."""
    store, own = _line_of(request, store_id, line)
    form = ScriptLineForm(request.POST or None, initial={"text": own.text if own else script_lines.DEFAULT_LINES[line]})
    if request.method == "POST" and "reset" in request.POST:
        if script_line_reset(store=store, line=line):
            messages.success(request, f"{store} says the default {ScriptLine.Line(line).label.lower()} line again.")
        return redirect("agents:script")
    previewing = "preview" in request.POST  # without JavaScript, the Preview button posts here: nothing is saved
    if request.method == "POST" and not previewing and form.is_valid():
        script_line_save(store=store, line=line, text=form.cleaned_data["text"], by=request.user)
        messages.success(request, f"{ScriptLine.Line(line).label} line of {store} saved.")
        return redirect("agents:script")
    text = form["text"].value() or ""
    context = {"store": store, "line": ScriptLine.Line(line), "own": own, "form": form,
               "default": script_lines.DEFAULT_LINES[line], "placeholders": script_lines.PLACEHOLDERS,
               "preview": _preview(request, store, line, text)}
    refused = request.method == "POST" and not previewing
    return render(request, "agents/script_line_edit.html", context, status=422 if refused else 200)


@supervisors
@require_POST
def script_line_preview(request: HttpRequest, store_id: int, line: str) -> HttpResponse:
    """The line as typed, filled in with a sample cart, or why it would be refused: the editor asks as the
    supervisor types. Nothing is saved."""
    store, _own = _line_of(request, store_id, line)
    preview = _preview(request, store, line, request.POST.get("text", ""))
    return render(request, "agents/_script_line_preview.html", {"preview": preview, "line": line})


def _preview(request: HttpRequest, store: Store, line: str, text: str) -> dict:
    """{"text": what the agent would say} or {"error": the refusal}; an empty line previews the default."""
    values = selectors.sample_values(store, request.user)
    if not text.strip():
        return {"text": script_lines.fill(script_lines.DEFAULT_LINES[line], values), "default": True}
    try:
        return {"text": script_lines.fill(script_lines.check(text), values)}
    except ValidationError as error:
        return {"error": " ".join(error.messages)}


def _line_of(request: HttpRequest, store_id: int, line: str) -> tuple[Store, ScriptLine | None]:
    """The store (one of the user's, else "not found") and its own wording of the line, if any."""
    if line not in ScriptLine.Line.values:
        raise Http404("No such line.")
    scope = store_scope(request.user)
    store = get_object_or_404(Store.objects.all() if scope is None else Store.objects.filter(pk__in=scope),
                              pk=store_id)
    return store, ScriptLine.objects.filter(store=store, line=line).first()


def _within(items, scope):
    """A script table's rows a user sees: their stores' and every store's (None: every row)."""
    return items if scope is None else items.filter(Q(store__in=scope) | Q(store__isnull=True))
