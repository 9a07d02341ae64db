from django import forms

from core.forms import FilterBarForm
from recovery.models import Cart, Store


class CartFilterForm(FilterBarForm):
    status = forms.ChoiceField(choices=[("", "Any status"), *Cart.Status.choices], required=False)
    store = forms.ModelChoiceField(queryset=Store.objects.all(), required=False, empty_label="All stores")
    q = forms.CharField(required=False, label="Search", max_length=100)

    def __init__(self, *args, scope: frozenset[int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if scope is not None:  # a supervisor chooses among their team's stores only
            self.fields["store"].queryset = Store.objects.filter(pk__in=scope)
