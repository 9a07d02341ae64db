"""Forms shared by the apps' screens."""

from __future__ import annotations

from django import forms
from django.forms.utils import pretty_name


class FilterBarForm(forms.Form):
    """A list's filter bar. Its templates show the fields in one row without a visible <label> (the choices and
    placeholders say what each is for to a sighted user), so each widget carries its label as `aria-label`:
    a screen reader then names the field instead of announcing an unnamed box."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("aria-label", str(field.label or pretty_name(name)))
