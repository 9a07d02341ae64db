"""The gate's cached number facts agree with django-phonenumber-field and phonenumbers."""

from __future__ import annotations

import pytest

from compliance.numbers import stored_form, valid_number
from recovery.models import Customer


@pytest.mark.parametrize("phone", ["+12125550142", "+1 212-555-0142", "(212) 555-0142", "+447911123456",
                                   "+1555", "not a number", "2125550142", "+4479111234567890"])
def test_the_stored_form_is_what_the_phone_field_stores(phone):
    assert stored_form(phone, "US") == Customer._meta.get_field("phone").get_prep_value(phone)


def test_an_international_number_is_one_entry_whatever_the_region():
    number = valid_number("+12125550142", None)
    assert valid_number("+12125550142", "US") is number and valid_number("+12125550142", "GB") is number


def test_national_forms_need_their_region_and_invalid_numbers_are_none():
    assert valid_number("2125550142", "US") is not None
    assert valid_number("2125550142", None) is None
    assert valid_number("+1555", None) is None
