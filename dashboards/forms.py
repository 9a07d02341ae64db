"""The live floor's forms: what a supervisor posts to act on an alert. The shape only; the agents' services
judge the rest (who may take which cart, what a notice may say)."""

from __future__ import annotations

from django import forms

_AGENT = {"required": "Choose an agent.", "invalid": "Choose an agent."}


class HandForm(forms.Form):
    cart = forms.IntegerField(min_value=1, error_messages={"required": "Choose a waiting cart.",
                                                           "invalid": "Choose a waiting cart."})
    agent = forms.IntegerField(min_value=1, error_messages=_AGENT)


class NoticeForm(forms.Form):
    agent = forms.IntegerField(min_value=1, error_messages=_AGENT)
    text = forms.CharField(required=False, strip=True)


def error_text(form: forms.Form) -> str:
    return " ".join(dict.fromkeys(message for errors in form.errors.values() for message in errors))
