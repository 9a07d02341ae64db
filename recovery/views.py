"""Cart screens for supervisors and admins (agents are assigned carts; they do not browse)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from compliance.services.trail import audit_view
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


@access.role_required(access.SUPERVISOR, access.ADMIN)
def cart_detail(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = get_object_or_404(within_scope(selectors.cart_with_history(), store_scope(request.user)), pk=cart_id)
    audit_view(request, subject_type="customer", subject_id=cart.customer_id,
               summary=f"Opened cart {cart.pk} of {cart.store}: the customer's details")
    return render(request, "recovery/cart_detail.html", {"cart": cart})
