from django import forms

from agents.models import FrictionReason, ValuePoint


class FrictionReasonForm(forms.ModelForm):
    class Meta:
        model = FrictionReason
        fields = ["label", "code", "suggestions", "position", "is_active"]
        widgets = {"suggestions": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"code": "Short name, letters and underscores (e.g. gift_wrapping)."}


class ValuePointForm(forms.ModelForm):
    class Meta:
        model = ValuePoint
        fields = ["store", "text", "product_keyword", "position", "is_active"]

    def __init__(self, *args, scope: frozenset[int] | None = None, every_store: bool = False, **kwargs) -> None:
        """`scope`: the stores the writer may choose (None: all); `every_store`: whether they may leave the store
        blank, writing a point for every store (admins only, see roles.writes_every_store)."""
        super().__init__(*args, **kwargs)
        if scope is not None:  # a supervisor writes for their team's stores
            self.fields["store"].queryset = self.fields["store"].queryset.filter(pk__in=scope)
        if not every_store:
            self.fields["store"].required = True
            self.fields["store"].help_text = ("One of your team's stores; every store's value points are set by "
                                              "admins")
            self.fields["store"].error_messages["required"] = (
                "Choose a store: value points for every store are set by admins.")
