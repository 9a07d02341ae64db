"""Stores, customers, abandoned carts and the webhook inbox."""

from recovery.models.carts import Cart, CartEvent, CartLineItem, CartQuerySet
from recovery.models.customers import Customer
from recovery.models.inbox import WebhookDelivery
from recovery.models.messages import MessageStep, MessageTemplate, RecoveryMessage
from recovery.models.priority import PriorityPolicy
from recovery.models.stores import Platform, Store

__all__ = [
    "Cart",
    "CartEvent",
    "CartLineItem",
    "CartQuerySet",
    "Customer",
    "MessageStep",
    "MessageTemplate",
    "Platform",
    "PriorityPolicy",
    "RecoveryMessage",
    "Store",
    "WebhookDelivery",
]
