"""The erasure's steps in the apps above compliance, registered here so that compliance orchestrates an erasure
(and a data request's export) without importing the apps whose tables it does not own.

Compliance keeps what is its own: the privacy requests, the suppressions, its append-only rows, the legal holds,
and the person's identity (`Person`: who the request names and what we found). Each app above it (recovery:
customers, carts, events, messages, webhook bodies; agents: calls' and draft orders' notes) subclasses
`ErasureStep`, overriding the hooks that touch its tables, and registers an instance from its
`AppConfig.ready()`. The erasure calls every registered step's hook in its own transaction, so a person's erasure
is still one transaction and a store's or the retention's batches still commit one by one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet

# A batch source: rows to walk by primary key, and what to do with each batch of them (`shop.batches_run`).
Batch = tuple[QuerySet, Callable[[QuerySet], None]]


@dataclass
class Person:
    """Who is to be erased in a store, as the request names them and as we found them."""

    store_id: int
    customer_ids: set[int] = field(default_factory=set)
    cart_ids: set[int] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # E.164
    emails: set[str] = field(default_factory=set)  # lowercased
    needles: set[str] = field(default_factory=set)  # what a webhook body about them mentions


class ErasureStep:
    """One app's part of erasures and exports. Every hook changes only that app's tables, inside the caller's
    transaction, adds what it changed to `counts`, and changes nothing when run again. The defaults do nothing."""

    def person_find(self, person: Person, *, email: str, phone: str, customer_id: str,
                    order_ids: tuple[str, ...]) -> None:
        """Add to `person` the app's rows that the identifiers (normalised by compliance) match."""

    def carts_erase(self, cart_ids: list[int], *, counts: Counter) -> None:
        """Erase what the app keeps about these carts that could name a person."""

    def person_erase(self, person: Person, *, counts: Counter) -> None:
        """Erase the person's own rows (after `carts_erase` of their carts)."""

    def customers_delete(self, customer_ids: set[int], *, counts: Counter) -> None:
        """Delete these customers (the retention purge, once none of their carts is kept)."""

    def store_batches(self, store_id: int, *, people_erase: Callable[[Person], None],
                      carts_erase: Callable[[list[int]], None], counts: Counter) -> list[Batch]:
        """A store's erasure: batches of the app's rows, erased before compliance's own; `people_erase` erases a
        batch of customers as one person, `carts_erase` runs every step's `carts_erase`."""
        return []

    def store_last_batches(self, store_id: int, *, counts: Counter) -> list[Batch]:
        """A store's erasure: batches of the app's rows erased after compliance's own (stored webhook bodies)."""
        return []

    def carts_due_for_purge(self, *, cutoff: datetime) -> QuerySet | None:
        """The closed carts, closed before `cutoff`, that still hold personal data (only the carts' owner)."""
        return None

    def customers_freed(self, cart_ids: list[int], *, due: QuerySet) -> set[int]:
        """The customers of these carts that no cart kept (not due for purge) still needs."""
        return set()

    def retention_batches(self, *, cutoff: datetime, counts: Counter) -> list[Batch]:
        """The retention purge: batches of the app's other rows older than `cutoff`."""
        return []

    def person_export(self, person: Person) -> dict[str, list]:
        """A data request's export: the app's sections (name -> rows as JSON-ready dicts)."""
        return {}


_steps: list[ErasureStep] = []


def register(step: ErasureStep) -> None:
    """Called from an app's `AppConfig.ready()`; registering the same kind of step twice keeps one."""
    if not any(type(known) is type(step) for known in _steps):
        _steps.append(step)


def registered() -> list[ErasureStep]:
    return list(_steps)
