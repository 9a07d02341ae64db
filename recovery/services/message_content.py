"""What a recovery message says: the store's own template for the step, else the shipped one.

Plain text in Django's template language. Every email carries an unsubscribe link (and a
List-Unsubscribe header); every text ends with the store's STOP wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse

from compliance.services.unsubscribe import unsubscribe_token
from recovery.models import Cart, MessageTemplate
from recovery.services.money import money


@dataclass(frozen=True)
class MessageContent:
    subject: str
    body: str
    unsubscribe_url: str = ""


def recovery_link(cart: Cart) -> str:
    """The checkout to come back to: the platform's recovery URL, else the store's cart page."""
    return cart.checkout_url or f"https://{cart.store.shop_domain}/cart"


def _context(cart: Cart, *, unsubscribe_url: str = "") -> dict:
    customer = cart.customer
    titles = [item.title for item in cart.line_items.all()]
    if len(titles) > 2:
        items_text = f"{titles[0]}, {titles[1]} and {len(titles) - 2} more"
    else:
        items_text = " and ".join(titles) or "your items"
    return {
        "first_name": customer.first_name if customer else "",
        "store_name": cart.store.name,
        "items": titles,
        "items_text": items_text,
        "total": money(cart.total_value, cart.currency),
        "checkout_url": recovery_link(cart),
        "unsubscribe_url": unsubscribe_url,
    }


def _render(store_text: str | None, shipped: str, context: dict) -> str:
    if store_text:
        return Template("{% autoescape off %}" + store_text + "{% endautoescape %}").render(Context(context)).strip()
    return render_to_string(shipped, context).strip()


def email_content(cart: Cart, *, step: int, email: str) -> MessageContent:
    token = unsubscribe_token(email=email, store_id=cart.store_id)
    unsubscribe_url = settings.LINK_BASE_URL.rstrip("/") + reverse("unsubscribe", args=[token])
    context = _context(cart, unsubscribe_url=unsubscribe_url)
    own = MessageTemplate.objects.filter(store=cart.store_id, step=step, channel=MessageTemplate.Channel.EMAIL).first()
    subject = _render(own.subject if own else None, f"recovery/messages/email_{step}_subject.txt", context)
    body = _render(own.body if own else None, f"recovery/messages/email_{step}.txt", context)
    if own and unsubscribe_url not in body:  # a store's template cannot drop the unsubscribe link
        body += f"\n\nUnsubscribe: {unsubscribe_url}"
    return MessageContent(subject=" ".join(subject.split()), body=body, unsubscribe_url=unsubscribe_url)


def sms_content(cart: Cart, *, step: int, stop_text: str) -> MessageContent:
    context = _context(cart)
    own = MessageTemplate.objects.filter(store=cart.store_id, step=step, channel=MessageTemplate.Channel.SMS).first()
    body = _render(own.body if own else None, "recovery/messages/sms.txt", context)
    return MessageContent(subject="", body=f"{body} {stop_text}".strip())


def link_sms_content(cart: Cart, *, stop_text: str) -> MessageContent:
    """The checkout link an agent texts during a call, at the customer's request."""
    body = f"{cart.store.name}: here is the link to finish your order: {recovery_link(cart)}"
    return MessageContent(subject="", body=f"{body} {stop_text}".strip())


def link_email_content(cart: Cart, *, email: str, agent_name: str) -> MessageContent:
    """The checkout link an agent emails during a call."""
    token = unsubscribe_token(email=email, store_id=cart.store_id)
    unsubscribe_url = settings.LINK_BASE_URL.rstrip("/") + reverse("unsubscribe", args=[token])
    context = _context(cart, unsubscribe_url=unsubscribe_url)
    first = f" {context['first_name']}" if context["first_name"] else ""
    body = (f"Hi{first},\n\nAs promised on the phone, here is the link to finish your order at {cart.store.name} "
            f"({context['items_text']}, {context['total']}):\n\n{context['checkout_url']}\n\n"
            f"{agent_name}\n{cart.store.name}\n\nUnsubscribe: {unsubscribe_url}\n")
    return MessageContent(subject=f"Your checkout link from {cart.store.name}", body=body,
                          unsubscribe_url=unsubscribe_url)
