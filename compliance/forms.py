from django import forms

from compliance.models import AuditEvent, Channel
from core.forms import FilterBarForm


class DecisionSearchForm(FilterBarForm):
    # A number as people write it ("(415) 555-0101") finds its stored E.164 form (selectors.decisions).
    q = forms.CharField(required=False, label="Number or email", max_length=100, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": "(415) 555-2671 or email"}))
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    allowed = forms.ChoiceField(choices=[("", "Allowed or denied"), ("1", "Allowed"), ("0", "Denied")], required=False)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        allowed = {"1": True, "0": False}.get(data.get("allowed") or "")
        return {"phone": data.get("q", ""), "channel": data.get("channel", ""), "allowed": allowed}


class AuditSearchForm(FilterBarForm):
    who = forms.CharField(required=False, max_length=150, label="Who",
                          widget=forms.TextInput(attrs={"type": "search", "placeholder": "Username or system"}))
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *AuditEvent.Action.choices])
    subject = forms.CharField(required=False, max_length=60, label="What",
                              widget=forms.TextInput(attrs={"type": "search", "placeholder": "customer, store, ..."}))
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, max_length=100, label="Text",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Text or id"}))

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        return {name: data.get(name) or None for name in ("who", "action", "subject", "since", "until", "q")}


class DncUploadForm(forms.Form):
    """A DNC file for a background import (any size; the worker streams it)."""

    # The defaults add to the internal list: the choice that can never make a number callable. A full list
    # replaces everything, so it is chosen on purpose and confirmed after its preview (sizes before and after).
    list_name = forms.CharField(
        max_length=50, label="List", initial="internal",
        help_text="internal, national, state-XX (e.g. state-TX), uk-tps, uk-ctps, or an existing list",
    )
    mode = forms.ChoiceField(initial="add", choices=[
        ("add", "Change list: additions"), ("remove", "Change list: deletions"),
        ("replace", "Full list (replaces the current list)")],
        help_text="A full list is read and counted first: you see the list's size before and after, and confirm "
                  "before anything is replaced.")
    file_format = forms.ChoiceField(label="Format", choices=[
        ("ftc", "FTC registry (10 digits or NPA,NXXXXXX per line)"), ("e164", "E.164 (+ and digits per line)"),
        ("csv", "CSV with a phone column"), ("tps", "UK TPS/CTPS (national format, leading 0)")])
    file = forms.FileField()


class DncNumbersForm(forms.Form):
    """A few numbers for a DNC list, pasted or uploaded; previewed row by row before they are added."""

    MAX_BYTES = 1024 * 1024

    list_name = forms.CharField(max_length=50, initial="internal", label="List (unless a row names one)")
    numbers = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False,
                              help_text="One number per line, or CSV with a phone column (and optional list, country)")
    file = forms.FileField(required=False, help_text="Or a CSV file (up to 1 MB; bigger files: use the upload above)")

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError("That file is over 1 MB: use the background upload for big lists.")
            data["numbers"] = upload.read().decode("utf-8-sig", errors="replace")
        if not (data.get("numbers") or "").strip():
            raise forms.ValidationError("Paste some numbers or choose a CSV file.")
        return data
