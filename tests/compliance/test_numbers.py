"""The one phone parser (core.phones): the gate's cached number facts and ingestion's E.164 agree with
django-phonenumber-field and phonenumbers."""

from __future__ import annotations

import pytest

from core.phones import phone_to_e164, stored_form, valid_number
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


def test_e164_reads_a_national_form_in_the_address_country_or_else_the_default_region(settings):
    settings.PHONENUMBER_DEFAULT_REGION = "US"

    assert phone_to_e164("(212) 555-0142") == "+12125550142"
    assert phone_to_e164("07911 123456", region="gb") == "+447911123456"
    assert phone_to_e164("+1 212-555-0142", region="GB") == "+12125550142"
    assert phone_to_e164("+1555") is None
    assert phone_to_e164("not a number") is None
    assert phone_to_e164("") is None
