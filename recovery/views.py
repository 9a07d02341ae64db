"""The cart list for supervisors and admins (agents are assigned carts; they do not browse). A cart's own page is
`agents.views.carts`: it shows the calls and the gate's decisions too, which this app may not read."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import access
from core.access import store_scope, within_scope
from recovery import selectors
from recovery.forms import CartFilterForm


@access.role_required(access.SUPERVISOR, access.ADMIN)
def cart_list(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request.user)
    form = CartFilterForm(request.GET or None, scope=scope)
    carts = within_scope(selectors.filtered_carts(**(form.cleaned_data if form.is_valid() else {})), scope)
    page = Paginator(carts, 25).get_page(request.GET.get("page"))
    template = "recovery/_cart_table.html" if request.htmx and not request.htmx.boosted else "recovery/cart_list.html"
    return render(request, template, {"form": form, "page": page})
