"""The call console's forms: one per step and one per step action, each parsing what the agent typed.

The forms check the shape of the input (a choice among the offered ones, an amount, a wall-clock time, a
reference that is not a card number) with the sentences the agent sees on screen; the services in
`agents.services` stay the authority on the call's rules (dial first, a reason to pass, a zone that exists).
`service_arguments()` maps a valid form to its service's keyword arguments, so the console's views never
read `request.POST` themselves.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError

from agents.models import AgentProfile, AwayReason, Call
from agents.services.completion import CARD_NUMBER_REFUSED, looks_like_card_number
from compliance.models import Channel


class AmountField(forms.Field):
    """A money amount as agents type it ("1,250.00"): a Decimal, or None when left blank."""

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value or "").strip().replace(",", "")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValidationError(f"“{text}” is not an amount.", code="invalid") from exc
        if not amount.is_finite():
            raise ValidationError(f"“{text}” is not an amount.", code="invalid")
        return amount


class TextListField(forms.Field):
    """The values of a group of checkboxes sharing one name (any number, none included), stripped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(item).strip() for item in value or () if str(item).strip()]


class WallClockField(forms.Field):
    """A `datetime-local` input: a naive wall-clock time; the service makes it aware in the zone given beside
    it (the customer's, not the agent's), so Django's DateTimeField, which uses the agent's, would be wrong."""

    def to_python(self, value: Any) -> datetime | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M")  # noqa: DTZ007 (the customer's wall clock)
        except ValueError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


def _messages(sentence: str, *codes: str) -> dict[str, str]:
    """The same sentence for each of `codes`: the agent needs one clear instruction, not Django's variants."""
    return dict.fromkeys(codes or ("required", "invalid_choice"), sentence)


class ConsoleForm(forms.Form):
    """A console form, bound to the call it acts on (some input is judged against it). `key` names it on the
    step's screen (`step`, or the action's `form_key`): its fields' ids and their refusals' ids start with it,
    so two forms on one step (the invoice's amount, the payment's) never share an id.

    A refusal shows next to the field it is about: the form's own checks put it there, and `add_refusal` puts
    a service's there by its code (a code naming one of the form's fields, or one `refusal_fields` maps); any
    other refusal concerns the form as a whole and shows beside its buttons."""

    refusal_fields: dict[str, str] = {}

    def __init__(self, *args: Any, call: Call | None = None, key: str = "step", **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{key}-%s")
        super().__init__(*args, **kwargs)
        self.call = call

    def add_refusal(self, error: ValidationError) -> None:
        """Attach a refusal the service (or the outcome) raised after the form was valid to the field it is
        about, so it shows there."""
        if hasattr(error, "error_dict"):  # a model's full_clean(): its field names are not the form's
            self.add_error(None, ValidationError(error.messages))
            return
        for item in error.error_list:
            field = self.refusal_fields.get(item.code or "", item.code)
            self.add_error(field if field in self.fields else None, item)

    def service_arguments(self) -> dict[str, Any]:
        """The service's keyword arguments, from a valid form (by default its fields, named as the service's)."""
        return dict(self.cleaned_data)

    def error_text(self) -> str:
        return " ".join(message for errors in self.errors.values() for message in errors)


class OpeningForm(ConsoleForm):
    answer = forms.ChoiceField(choices=Call.Answer.choices, error_messages=_messages("Choose how the call went."))


class FrictionForm(ConsoleForm):
    friction = TextListField(error_messages=_messages(
        "Pick at least one reason (use “Other” and a note if none fits).", "required"))
    notes = forms.CharField(required=False)

    def service_arguments(self) -> dict[str, Any]:
        return {"codes": self.cleaned_data["friction"], "notes": self.cleaned_data["notes"]}


class ResolutionForm(ConsoleForm):
    refusal_fields = {"offered": "other_offer"}  # nothing offered: say it under "Something else"

    offered = TextListField(required=False)
    other_offer = forms.CharField(required=False)
    resolved = forms.ChoiceField(choices=Call.Resolved.choices,
                                 error_messages=_messages("Say whether the objection was resolved."))
    notes = forms.CharField(required=False)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"offered": [*data["offered"], data["other_offer"]], "notes": data["notes"],
                "resolved": data["resolved"]}


class ValueForm(ConsoleForm):
    used = TextListField(required=False)


class CompletionForm(ConsoleForm):
    """Step 5's own button only moves on to the wrap-up; its actions (link, invoice, payment, callback) have
    their forms below."""


class WrapUpForm(ConsoleForm):
    disposition = forms.ChoiceField(choices=Call.Disposition.choices, error_messages=_messages(
        "Choose a disposition before taking the next cart."))
    notes = forms.CharField(required=False)
    upsell_value = AmountField(required=False)
    pass_reason = forms.ChoiceField(choices=[("", ""), *Call.PassReason.choices], required=False,
                                    error_messages=_messages("Pick why you pass this cart.", "invalid_choice"))
    then = forms.CharField(required=False)  # "next": take the next cart; anything else: back home

    def service_arguments(self) -> dict[str, Any]:
        return {key: value for key, value in self.cleaned_data.items() if key != "then"}


class LinkForm(ConsoleForm):
    channel = forms.ChoiceField(choices=[(Channel.SMS, "text"), (Channel.EMAIL, "email")],
                                error_messages=_messages("Send the link by text or by email."))


class InvoiceForm(ConsoleForm):
    amount = AmountField(error_messages=_messages("The invoice needs an amount above zero.", "required"))
    note = forms.CharField(required=False)


class PaidForm(ConsoleForm):
    refusal_fields = {"card_number": "reference"}

    amount = AmountField(error_messages=_messages("Enter the amount taken.", "required"))
    reference = forms.CharField(error_messages=_messages("Enter the payment terminal's reference.", "required"))

    def clean_reference(self) -> str:
        """A card number is refused here already: card data never reaches a service, a log or the screen."""
        reference = self.cleaned_data["reference"]
        if looks_like_card_number(reference):
            raise ValidationError(CARD_NUMBER_REFUSED, code="card_number")
        return reference


@cache
def timezone_choices() -> list[tuple[str, str]]:
    """The time zones a callback may be booked in: the installed time zone database's places (Area/City), not
    its aliases and fixed offsets, sorted; read from disk once per process."""
    zones = sorted(zone for zone in available_timezones()
                   if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return [(zone, zone.replace("_", " ")) for zone in zones]


class CallbackForm(ConsoleForm):
    refusal_fields = {"customer_timezone": "timezone"}

    local_time = WallClockField(error_messages=_messages("Give the callback's date and time.", "required",
                                                         "invalid"))
    # A choice list, starting at the customer's zone: a typed zone was a typo away from a callback at 3 a.m.
    timezone = forms.ChoiceField(choices=timezone_choices, error_messages=_messages(
        "Choose the customer's time zone from the list."))

    def service_arguments(self) -> dict[str, Any]:
        return {"local_time": self.cleaned_data["local_time"], "customer_timezone": self.cleaned_data["timezone"]}


class EndForm(ConsoleForm):
    """"Call ended → wrap-up" takes no input: the line says how it ended, the call which step it ended on."""


class PassForm(ConsoleForm):
    """Passing a cart takes no input (the reason is picked at the wrap-up), and only an undialed one."""

    def clean(self) -> dict[str, Any]:
        if self.call is not None and self.call.attempt_id:
            raise ValidationError("This call was dialed: go through the wrap-up.", code="dialed")
        return super().clean()


class StatusForm(ConsoleForm):
    """Available, or away with a reason (the supervisor's floor shows it)."""

    status = forms.ChoiceField(choices=[(AgentProfile.Status.AVAILABLE, "Available"),
                                        (AgentProfile.Status.AWAY, "Away")],
                               error_messages=_messages("Choose Available or Away."))
    reason = forms.ChoiceField(choices=AwayReason.choices, required=False,
                               error_messages=_messages("Choose why you are away: break, lunch, training, meeting "
                                                        "or other."))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == AgentProfile.Status.AWAY and not data.get("reason"):
            raise ValidationError("Choose why you are away: break, lunch, training, meeting or other.",
                                  code="reason")
        return data


class NoticeDismissForm(ConsoleForm):
    notice = forms.IntegerField(min_value=1, error_messages=_messages("That notice is gone.", "required",
                                                                      "invalid", "min_value"))
