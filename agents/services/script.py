"""Writes to the call script: a store's own spoken lines. Each change goes on the audit trail with the words before
and after (the default line when the store had none), since what agents say to customers is what a compliance
review asks about."""

from __future__ import annotations

from django.db import transaction

from agents import script_lines
from agents.models import ScriptLine
from compliance.services.trail import audit_record


@transaction.atomic
def script_line_save(*, store, line: str, text: str, by) -> ScriptLine | None:
    """The store's own wording of `line`, replacing any earlier one; ValidationError (the sentence the supervisor
    sees) for an unknown placeholder, a stray brace, an empty or overlong line. Saving the words the store already
    says (its own, or the default when it has none) changes nothing and records nothing."""
    text = script_lines.check(text)
    own = ScriptLine.objects.select_for_update().filter(store=store, line=line).first()
    before, created = (own.text if own else script_lines.DEFAULT_LINES[line]), own is None
    if text == before:
        return own
    own = own or ScriptLine(store=store, line=line)
    own.text, own.updated_by = text, by
    own.full_clean()
    own.save()
    audit_record(action="created" if created else "changed", subject_type="script line", subject_id=own.pk,
                 summary=f"{store} says its own {own.get_line_display().lower()} line",
                 changes={"text": (before, text)})
    return own


@transaction.atomic
def script_line_reset(*, store, line: str) -> bool:
    """Back to the default line for the store; whether it had its own (only then is it recorded)."""
    own = ScriptLine.objects.select_for_update().filter(store=store, line=line).first()
    if own is None:
        return False
    audit_record(action="deleted", subject_type="script line", subject_id=own.pk,
                 summary=f"{store} says the default {own.get_line_display().lower()} line again",
                 changes={"text": (own.text, script_lines.DEFAULT_LINES[line])})
    own.delete()
    return True
