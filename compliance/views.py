from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from compliance import selectors
from compliance.forms import AuditSearchForm, DecisionSearchForm, DncNumbersForm, DncUploadForm
from compliance.selectors_trail import audit_events
from compliance.services.dnc import rejected_report_path
from compliance.services.dnc_small import dnc_numbers_import
from compliance.services.dnc_uploads import dnc_import_cancel, dnc_import_confirm, dnc_upload_queue
from compliance.services.gate.reasons import reason_words
from compliance.services.trail import audit_export
from compliance.services.unsubscribe import unsubscribe_confirm, unsubscribe_target
from core import access
from core.access import store_scope, within_scope
from core.client_address import client_ip
from core.csv_download import csv_response
from core.exceptions import ApplicationError


@access.role_required(access.SUPERVISOR, access.ADMIN)
def decision_list(request: HttpRequest) -> HttpResponse:
    """Search the gate's audit log (read-only for everyone; a supervisor sees their team's stores' decisions);
    `?format=csv` downloads what the search found (and is itself recorded)."""
    form = DecisionSearchForm(request.GET or None)
    found = within_scope(selectors.decisions(**form.filters()), store_scope(request.user))
    if request.GET.get("format") == "csv":
        return _decisions_csv(request, found)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    partial = request.htmx and not request.htmx.boosted
    template = "compliance/_decision_table.html" if partial else "compliance/decision_list.html"
    return render(request, template, {"form": form, "page": page})


@access.role_required(access.ADMIN)
def audit_list(request: HttpRequest) -> HttpResponse:
    """Search the audit trail; `?format=csv` downloads what the search found (and is itself recorded)."""
    form = AuditSearchForm(request.GET or None)
    events = audit_events(**form.filters())
    if request.GET.get("format") == "csv":
        return _audit_csv(request, events)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    partial = request.htmx and not request.htmx.boosted
    template = "compliance/_audit_table.html" if partial else "compliance/audit_list.html"
    return render(request, template, {"form": form, "page": page})


AUDIT_CSV_LIMIT = 100_000


def _audit_csv(request: HttpRequest, events) -> HttpResponse:
    response, writer = csv_response(f"audit-trail-{timezone.now():%Y-%m-%d}.csv")
    writer.writerow(["at", "who", "action", "subject", "subject id", "summary", "changes", "ip", "path"])
    rows = 0
    for event in events[:AUDIT_CSV_LIMIT].iterator():
        writer.writerow([event.at.isoformat(), event.actor_name, event.action, event.subject_type, event.subject_id,
                         event.summary, event.changes or "", event.ip or "", event.path])
        rows += 1
    audit_export(request, what="the audit trail", rows=rows)
    return response


def _decisions_csv(request: HttpRequest, decisions) -> HttpResponse:
    """The decisions the search found; each code in its own column beside its words, so a spreadsheet filters on
    the code and a person reads the words."""
    response, writer = csv_response(f"contact-decisions-{timezone.now():%Y-%m-%d}.csv")
    writer.writerow(["at", "asked by", "store", "channel", "to", "allowed", "reasons", "reasons in words", "why",
                     "basis", "basis in words", "next allowed at", "recipient time zones", "lists consulted"])
    rows = 0
    for d in decisions[:AUDIT_CSV_LIMIT].iterator():
        writer.writerow([
            d.at.isoformat(), d.requester, d.store.name if d.store else "", d.channel, d.phone or d.email,
            "yes" if d.allowed else "no", " ".join(d.reasons), "; ".join(reason_words(code) for code in d.reasons),
            " ".join(d.explanations), d.basis, reason_words(d.basis),
            d.next_allowed_at.isoformat() if d.next_allowed_at else "", " ".join(d.recipient_timezones),
            ", ".join(f"{name} v{version}" for name, version in d.list_versions.items()),
        ])
        rows += 1
    audit_export(request, what="contact decisions", rows=rows)
    return response


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation page; only the POST unsubscribes (mail scanners follow links)."""
    target = unsubscribe_target(token)
    if target is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        unsubscribe_confirm(token=token, remote_addr=client_ip(request) or "")
        return render(request, "compliance/unsubscribed.html", {"email": target["email"]})
    return render(request, "compliance/unsubscribe_confirm.html", {"email": target["email"]})


@access.role_required(access.ADMIN)
def dnc_lists(request: HttpRequest) -> HttpResponse:
    """The DNC lists, their freshness, recent imports, and the upload form."""
    if request.method == "POST":
        form = DncUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                record = dnc_upload_queue(uploaded_file=form.cleaned_data["file"], requested_by=request.user,
                                          **{k: form.cleaned_data[k] for k in ("list_name", "mode", "file_format")})
            except ApplicationError as exc:
                form.add_error("list_name", exc.message)
            else:
                return redirect("compliance:dnc-import", import_id=record.pk)
    else:
        form = DncUploadForm()
    context = {
        "form": form, "lists": selectors.dnc_list_overview(), "imports": selectors.recent_dnc_imports(),
        "stale_before": timezone.now() - timedelta(days=31),
    }
    return render(request, "compliance/dnc_lists.html", context)


@access.role_required(access.ADMIN)
def dnc_import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    """An import's progress; the fragment polls itself until the import ends."""
    record = get_object_or_404(selectors.recent_dnc_imports(limit=None), pk=import_id)
    partial = request.htmx and not request.htmx.boosted
    template = "compliance/_dnc_import_progress.html" if partial else "compliance/dnc_import.html"
    return render(request, template, {"record": record})


@access.role_required(access.ADMIN)
@require_POST
def dnc_import_decide(request: HttpRequest, import_id: int, decision: str) -> HttpResponse:
    """An admin confirms or cancels a previewed full replace (it stops at "Awaiting confirmation")."""
    get_object_or_404(selectors.recent_dnc_imports(limit=None), pk=import_id)
    try:
        (dnc_import_confirm if decision == "confirm" else dnc_import_cancel)(import_id=import_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("compliance:dnc-import", import_id=import_id)


@access.role_required(access.ADMIN)
def dnc_import_rejected(request: HttpRequest, import_id: int) -> FileResponse:
    record = get_object_or_404(selectors.recent_dnc_imports(limit=None), pk=import_id)
    path = rejected_report_path(record)
    if not path.exists():
        raise Http404("This import has no rejected-lines report.")
    audit_export(request, what=f"the rejected lines of DNC import {record.pk}")
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"dnc-import-{record.pk}-rejected.csv",
                        content_type="text/csv")


@access.role_required(access.ADMIN)
def dnc_numbers(request: HttpRequest) -> HttpResponse:
    """Add a few numbers: first a preview with an error per bad row, then the confirmed import."""
    form = DncNumbersForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "compliance/dnc_numbers.html", {"form": form})
    confirm = request.POST.get("confirm") == "1"
    result = dnc_numbers_import(text=form.cleaned_data["numbers"], list_name=form.cleaned_data["list_name"],
                                user=request.user, dry_run=not confirm)
    if confirm:
        totals = result.totals
        messages.success(request, f"Added {totals['new']} numbers; {totals['skip']} were already listed, "
                                  f"{totals['invalid']} rows with errors were left out.")
        return redirect("compliance:dnc-lists")
    return render(request, "compliance/dnc_numbers.html", {"form": form, "result": result})
