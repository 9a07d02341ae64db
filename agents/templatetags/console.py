"""Template helpers for the call console's forms: a refusal next to its field, said to screen readers too, and
the keys that pick an option (`agents.console_keys`).

The console's forms are written out by hand (each step's layout is its own); these tags keep the refusal's
markup in one place: the message after the field, with `id="<field id>-error"`, and `aria-invalid` with
`aria-describedby` on the field so a screen reader reads the message with it.
"""

from __future__ import annotations

from django import template
from django.forms import BaseForm, BoundField
from django.utils.html import format_html

from agents import console_keys

register = template.Library()


def _error_id(field: BoundField) -> str:
    return f"{field.auto_id}-error"


def _form_error_id(form: BaseForm) -> str:
    return str(form.auto_id) % "errors"


@register.simple_tag
def invalid(field: BoundField | None, *, group: bool = False) -> str:
    """`aria-invalid` and `aria-describedby` for a field the last submission refused, else nothing; the form's
    first refused field also takes the focus (`autofocus`), so a screen reader reads it with its message.
    `group=True` marks a radio group's fieldset, which cannot take the focus (its first radio does)."""
    if field is None or not field.errors:
        return ""
    first = not group and next(iter(field.form.errors)) == field.name  # htmx focuses it after the swap
    return format_html('aria-invalid="true" aria-describedby="{}"{}', _error_id(field), " autofocus" if first else "")


@register.simple_tag
def field_error(field: BoundField | None) -> str:
    """The refusal of one field, placed after it; its id is the one `invalid` points the field to."""
    if field is None or not field.errors:
        return ""
    return format_html('<p class="error field-error" role="alert" id="{}">{}</p>', _error_id(field),
                       " ".join(field.errors))


@register.simple_tag
def form_error(form: BaseForm | None) -> str:
    """A refusal that concerns the form as a whole (the gate's no, a call not dialed), beside its buttons."""
    if form is None or not form.non_field_errors():
        return ""
    return format_html('<p class="error field-error" role="alert" id="{}">{}</p>', _form_error_id(form),
                       " ".join(form.non_field_errors()))


@register.simple_tag
def form_invalid(form: BaseForm | None) -> str:
    """`aria-describedby` for a form's buttons when the form as a whole was refused."""
    if form is None or not form.non_field_errors():
        return ""
    return format_html('aria-describedby="{}"', _form_error_id(form))


@register.filter
def option_key(position: int) -> str:
    """The key that picks the option at `position` of a list (see `agents.console_keys`)."""
    return console_keys.option_key(position)


@register.filter
def resolved_key(value: str) -> str:
    return console_keys.RESOLVED_KEYS.get(value, "")
