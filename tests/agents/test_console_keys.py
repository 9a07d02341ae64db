"""The console's option keys: every option of a long list has one, and none is a key with another meaning."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from agents.console_forms import CallbackForm, PaidForm, ResolutionForm
from agents.console_keys import CONSOLE_KEYS, OPTION_KEYS, RESOLVED_KEYS, option_key
from agents.models import Call


def test_the_first_nine_options_take_digits_the_tenth_zero_and_further_ones_letters():
    assert [option_key(position) for position in range(1, 13)] == [*"123456789", "0", "a", "b"]
    assert option_key(0) == "" and option_key(len(OPTION_KEYS) + 1) == ""


def test_no_option_key_means_something_else_on_the_console():
    assert len(set(OPTION_KEYS)) == len(OPTION_KEYS)
    assert not set(OPTION_KEYS) & (CONSOLE_KEYS | set(RESOLVED_KEYS.values()))
    assert set(RESOLVED_KEYS) == set(Call.Resolved.values) and len(set(RESOLVED_KEYS.values())) == 3


def test_a_services_refusal_goes_to_the_field_its_code_names():
    resolution = ResolutionForm({"resolved": "yes"})
    paid = PaidForm({"amount": "5", "reference": "TXN"}, key="paid")
    callback = CallbackForm({"local_time": "2027-01-01T10:00", "timezone": "America/New_York"}, key="callback")
    for form in (resolution, paid, callback):
        assert form.is_valid()

    resolution.add_refusal(ValidationError("Note what you offered.", code="offered"))
    paid.add_refusal(ValidationError("That looks like a card number.", code="card_number"))
    callback.add_refusal(ValidationError("Unknown time zone.", code="customer_timezone"))
    callback.add_refusal(ValidationError("This call is already wrapped up.", code="wrapped_up"))

    assert resolution.errors == {"other_offer": ["Note what you offered."]}
    assert paid.errors == {"reference": ["That looks like a card number."]}
    assert callback.errors == {"timezone": ["Unknown time zone."], "__all__": ["This call is already wrapped up."]}
    assert paid["reference"].auto_id == "paid-reference" and resolution["resolved"].auto_id == "step-resolved"
