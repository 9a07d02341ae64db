from django import forms

from compliance.models import Channel


class DecisionSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Number or email", max_length=100)
    channel = forms.ChoiceField(choices=[("", "Any channel"), *Channel.choices], required=False)
    allowed = forms.ChoiceField(choices=[("", "Allowed or denied"), ("1", "Allowed"), ("0", "Denied")], required=False)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        allowed = {"1": True, "0": False}.get(data.get("allowed") or "")
        return {"phone": data.get("q", ""), "channel": data.get("channel", ""), "allowed": allowed}
