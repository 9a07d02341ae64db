"""Reading settings from the environment (django-environ underneath, each variable's contract ours), and the secret
check production runs on every key it requires: long is not enough, it must look random."""

from __future__ import annotations

import re
import secrets

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, secret_check, secret_weakness


@pytest.mark.parametrize(("value", "why"), [
    ("a" * 64, "repeats a pattern of 1 character"),
    ("ab" * 32, "repeats a pattern of 2 characters"),
    ("abcdefghijklmnopqrstuvwxyz" * 3, "repeats a pattern of 26 characters"),
    ("abcdefghijklmnopqrstuvwxyz0123456789" * 2 + "abc", "repeats a pattern of 36 characters"),
    ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "mostly a run of consecutive characters"),
    ("axxaxaaxxxaxaxxaaxaxxxaaxaxaxxaxaaxxaxaxxxaxaaxaxxaaxaxaxxxaaxaxa", "uses only 2 different characters"),
    ("x" * 8 + "k3Hq9Zp2Lm7Rt5Wv8Yb4Nc6Dg1Fj0Sx" * 2, "repeats one character 8 or more times in a row"),
    ("aakaamaaoaaqaasaauaawaayaayaawaauaasaaqaaoaamaakaakaaoaasaawaayaam", "too little entropy"),
    ("development-only-secret-key-do-not-use-in-production", "development default"),
    ("Xq3vL9pZr2Tn8WkB5mYc7d", "at least 50 are needed"),  # random-looking, but 22 characters
])
def test_guessable_secrets_are_named_for_what_is_wrong(value, why):
    assert why in secret_weakness(value, min_length=50)


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(64), lambda: secrets.token_hex(32),
                                  lambda: secrets.token_urlsafe(38)])
def test_generated_secrets_pass(make):
    assert all(secret_weakness(make(), min_length=50) is None for _ in range(2000))


def test_thirty_two_random_hex_digits_pass_the_32_character_check():
    assert all(secret_weakness(secrets.token_hex(16), min_length=32) is None for _ in range(5000))


def test_the_error_names_the_variable_and_how_to_make_a_good_one():
    with pytest.raises(ImproperlyConfigured) as refused:
        secret_check("SUPPRESSION_HASH_KEY", "a" * 32, min_length=32)

    assert str(refused.value).startswith("SUPPRESSION_HASH_KEY must be a random value of at least 32 characters")
    assert "secrets.token_urlsafe" in str(refused.value)


def test_values_are_read_literally_and_blank_means_the_default(monkeypatch):
    # given a password that starts with $ (django-environ would read it as a reference to another variable)
    monkeypatch.setenv("EMAIL_HOST_PASSWORD", "$HOME")
    monkeypatch.setenv("ALLOWED_HOSTS", " a.example.com, ,b.example.com ,")
    monkeypatch.setenv("EMAIL_PORT", "")

    assert env_str("EMAIL_HOST_PASSWORD", "") == "$HOME"
    assert env_list("ALLOWED_HOSTS", []) == ["a.example.com", "b.example.com"]
    assert env_int("EMAIL_PORT", 587) == 587


@pytest.mark.parametrize(("reader", "value", "message"), [
    (env_bool, "2", "DEBUG must be a boolean (1/0, true/false), got '2'"),
    (env_int, "sixty", "DEBUG must be an integer, got 'sixty'"),
])
def test_a_value_that_does_not_parse_stops_start_up_naming_the_variable(monkeypatch, reader, value, message):
    monkeypatch.setenv("DEBUG", value)

    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        reader("DEBUG", 1)
