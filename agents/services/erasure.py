"""Agents' part of an erasure and of a data request's export: calls' and draft orders' notes are agents' tables,
so agents erases them. Compliance orchestrates (`compliance.services.erasure`); `AgentsErasure` is registered with it
from `AgentsConfig.ready()` and runs in the erasure's own transaction."""

from __future__ import annotations

from collections import Counter

from agents.models import Call, DraftOrder
from compliance.selectors_privacy import instance_dict
from compliance.services.erasure.records import ERASED
from compliance.services.erasure.steps import ErasureStep, Person

_CALL_FIELDS = ["opened_at", "answer", "disposition", "notes", "friction_notes", "offer_notes"]


def call_notes_erase(cart_ids: list[int], *, counts: Counter) -> None:
    """Agents' words about the person become "[erased]"; the answer, disposition, timings and amounts stay (the
    dashboards' figures)."""
    calls = Call.objects.filter(cart_id__in=cart_ids)
    for column in ("notes", "friction_notes", "offer_notes"):
        counts["call_notes_erased"] += calls.exclude(**{column: ""}).exclude(**{column: ERASED}).update(
            **{column: ERASED})
    counts["draft_order_notes_erased"] += (DraftOrder.objects.filter(cart_id__in=cart_ids).exclude(note="")
                                           .exclude(note=ERASED).update(note=ERASED))


def call_data_export(person: Person) -> dict[str, list]:
    """The calls about the person's carts, with the agents' notes."""
    calls = Call.objects.filter(cart_id__in=person.cart_ids).order_by("opened_at")
    return {"calls": [instance_dict(call, _CALL_FIELDS) for call in calls]}


class AgentsErasure(ErasureStep):
    """Agents' hooks in compliance's erasure (registered in `AgentsConfig.ready()`)."""

    def carts_erase(self, cart_ids, *, counts):
        call_notes_erase(cart_ids, counts=counts)

    def person_export(self, person):
        return call_data_export(person)
