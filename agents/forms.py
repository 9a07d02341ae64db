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
