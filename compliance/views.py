from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from agents import roles
from compliance import selectors
from compliance.forms import DecisionSearchForm
from compliance.services.unsubscribe import unsubscribe_confirm, unsubscribe_target


@roles.role_required(roles.SUPERVISOR, roles.ADMIN)
def decision_list(request: HttpRequest) -> HttpResponse:
    """Search the gate's audit log (read-only for everyone)."""
    form = DecisionSearchForm(request.GET or None)
    page = Paginator(selectors.decisions(**form.filters()), 50).get_page(request.GET.get("page"))
    partial = request.htmx and not request.htmx.boosted
    template = "compliance/_decision_table.html" if partial else "compliance/decision_list.html"
    return render(request, template, {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation page; only the POST unsubscribes (mail scanners follow links)."""
    target = unsubscribe_target(token)
    if target is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        unsubscribe_confirm(token=token, remote_addr=request.META.get("REMOTE_ADDR", ""))
        return render(request, "compliance/unsubscribed.html", {"email": target["email"]})
    return render(request, "compliance/unsubscribe_confirm.html", {"email": target["email"]})
