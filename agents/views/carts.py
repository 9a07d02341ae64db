"""The supervisor's cart page. It lives here, not in `recovery`, because it shows what three apps know about a cart:
recovery's cart and messages, the gate's attempts and refusals, and agents' calls, notes and callbacks. Only the
highest of them may read all three, and the history it shows is the console's own (`agents.selectors.cart_history`,
one component for both screens): see docs/decisions/0004-one-cart-history.md."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from agents import selectors
from compliance.selectors_attempts import cart_attempt_counts
from compliance.services.trail import audit_view
from core import access
from core.access import store_scope, within_scope
from recovery import selectors as carts


@access.role_required(access.SUPERVISOR, access.ADMIN)
def cart_detail(request: HttpRequest, cart_id: int) -> HttpResponse:
    cart = get_object_or_404(within_scope(carts.cart_with_history(), store_scope(request.user)), pk=cart_id)
    audit_view(request, subject_type="customer", subject_id=cart.customer_id,
               summary=f"Opened cart {cart.pk} of {cart.store}: the customer's details")
    context = {"cart": cart, "attempts": cart_attempt_counts(cart.pk), "history": selectors.cart_history(cart),
               "callback": selectors.cart_next_callback(cart)}
    return render(request, "recovery/cart_detail.html", context)
