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

    def __init__(self, *args, scope: frozenset[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if scope is not None:  # a supervisor writes for their team's stores; every store's points are the admins'
            self.fields["store"].queryset = self.fields["store"].queryset.filter(pk__in=scope)
            self.fields["store"].required = True
            self.fields["store"].help_text = "One of your team's stores"
