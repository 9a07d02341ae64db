"""The gate's audit record: one append-only `ContactDecision` row per decision, in one INSERT."""

from __future__ import annotations

from dataclasses import replace

from django.db import connection
from django.db.models import Field

from compliance.models import ContactDecision
from compliance.services.gate.decision import Decision


def _column_field(name: str) -> Field:
    """The decision's field `name`: a column of its own table (not a reverse relation), which the INSERT writes."""
    field = ContactDecision._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"ContactDecision.{name} is not a column of its table.")
    return field


_FIELDS = [_column_field(name) for name in (
    "at", "requested_by", "requester", "store", "phone", "email", "channel", "allowed", "reasons", "explanations",
    "basis", "notes", "list_versions", "recipient_timezones", "next_allowed_at",
)]
_INSERT_SQL = (
    # B608: table and column names come from the model.
    f"INSERT INTO {ContactDecision._meta.db_table} ({', '.join(field.column for field in _FIELDS)}) "  # nosec B608
    f"VALUES ({', '.join(['%s'] * len(_FIELDS))}) RETURNING {ContactDecision._meta.pk.column}"
)


def decision_record(decision: Decision, *, channel: str, store, phone: str, email: str, at, requested_by,
                    requester: str) -> Decision:
    """Write the decision's audit row and return the decision with its id.

    A raw INSERT ... RETURNING rather than `objects.create()`: the gate runs before every contact, and the
    row never changes after (a trigger refuses UPDATE and DELETE). Values go through the model's fields,
    so they are stored exactly as the ORM would store them.
    """
    values = {
        "at": at, "requested_by": _saved_pk(requested_by), "requester": requester[:100], "store": _saved_pk(store),
        "phone": phone[:32], "email": email[:254], "channel": channel[:10], "allowed": decision.allowed,
        "reasons": list(decision.reasons), "explanations": list(decision.explanations), "basis": decision.basis,
        "notes": list(decision.notes), "list_versions": decision.list_versions,
        "recipient_timezones": list(decision.recipient_timezones), "next_allowed_at": decision.next_allowed_at,
    }
    params = [field.get_db_prep_save(values[field.name], connection) for field in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        (decision_id,) = cursor.fetchone()
    return replace(decision, decision_id=decision_id)


def _saved_pk(instance) -> int | None:
    """Like the ORM, refuse an unsaved related instance rather than store NULL."""
    if instance is not None and instance.pk is None:
        raise ValueError(f"Unsaved {type(instance).__name__} cannot be recorded on a decision.")
    return instance.pk if instance is not None else None
