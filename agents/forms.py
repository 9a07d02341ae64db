from django import forms

from agents import script_lines
from agents.models import FrictionReason, ValuePoint


class _StoreScopedForm(forms.ModelForm):
    """A script item that belongs to a store, or to every store when its store is blank."""

    every_store_refusal = "Choose a store: what applies to every store is set by admins."
    use_required_attribute = False  # the server's refusal says why a store is needed; the browser's would not

    def __init__(self, *args, scope: frozenset[int] | None = None, every_store: bool = False, **kwargs) -> None:
        """`scope`: the stores the writer may choose (None: all); `every_store`: whether they may leave the store
        blank, writing for every store (admins only, see roles.writes_every_store)."""
        super().__init__(*args, **kwargs)
        if scope is not None:  # a supervisor writes for their team's stores
            self.fields["store"].queryset = self.fields["store"].queryset.filter(pk__in=scope)
        if not every_store:
            self.fields["store"].required = True
            self.fields["store"].help_text = "One of your team's stores; what applies to every store is set by admins"
            self.fields["store"].error_messages["required"] = self.every_store_refusal


class FrictionReasonForm(_StoreScopedForm):
    every_store_refusal = "Choose a store: the reasons every store shares are set by admins."

    class Meta:
        model = FrictionReason
        fields = ["store", "label", "code", "suggestions", "position", "is_active"]
        widgets = {"suggestions": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"code": "Short name, letters and underscores (e.g. gift_wrapping).",
                      "store": "Blank: every store"}


class ValuePointForm(_StoreScopedForm):
    every_store_refusal = "Choose a store: value points for every store are set by admins."

    class Meta:
        model = ValuePoint
        fields = ["store", "text", "product_keyword", "position", "is_active"]


class ScriptLineForm(forms.Form):
    """A store's own wording of a spoken line: checked by `script_lines.check` (known placeholders only)."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "maxlength": script_lines.MAX_LENGTH}),
                           required=False, strip=False)

    def clean_text(self) -> str:
        return script_lines.check(self.cleaned_data["text"])
