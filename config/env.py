"""The one place that reads the process environment for settings, through django-environ.

Each reader keeps its setting's contract: an unset or empty variable means the default, and a boolean or an integer
that does not parse stops start-up with ImproperlyConfigured naming the variable. Values are read as they are:
django-environ's `$OTHER_VARIABLE` references are not followed, so a password or a secret that starts with `$` is
taken literally.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import overload

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    """The variable as set, or None; read without django-environ's `$` references (see the module's docstring)."""
    return _env.ENVIRON.get(name)


@overload
def env_str(name: str, default: str) -> str: ...
@overload
def env_str(name: str, default: None = None) -> str | None: ...
def env_str(name: str, default: str | None = None) -> str | None:
    """The variable's value, or `default` when it is unset or empty (a default given means a str comes back)."""
    value = _raw(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    """Strict where django-environ's cast is lenient (it reads any unknown word as false): a typo stops start-up."""
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")
    return environ.Env.parse_value(lowered, bool)


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return environ.Env.parse_value(value, int)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated, each item stripped, blank items dropped; a blank variable means the default."""
    value = _raw(name)
    if value is None or value.strip() == "":
        return default
    return [item for item in environ.Env.parse_value(value, [str.strip]) if item]


# A secret must look like the output of a random generator: long, many different characters, no short pattern.
SECRET_MIN_DISTINCT = 8
SECRET_MIN_ENTROPY_BITS = 2.5  # Shannon entropy per character; 32 random hex digits stay above 2.8
SECRET_DEFAULT_PREFIXES = ("development-only", "test-only")
SECRET_MAX_RUN = 8  # one character this many times in a row (random hex: about one key in ten million)


def secret_weakness(value: str, *, min_length: int) -> str | None:
    """Why `value` would be a guessable secret, or None when it looks random enough.

    Length alone lets through 50 x "a" or an alphabet typed twice; these checks reject what a person types
    instead of generating: too short, a development default, a short pattern repeated, one character over and
    over, a run of consecutive characters, too few different characters, or too little entropy per character.
    """
    if len(value) < min_length:
        return f"is {len(value)} characters long; at least {min_length} are needed"
    if value.startswith(SECRET_DEFAULT_PREFIXES):
        return "is a development default"
    period = _shortest_period(value)
    if period <= len(value) // 2:
        return f"repeats a pattern of {period} character{'s' if period > 1 else ''}"
    if re.search(rf"(.)\1{{{SECRET_MAX_RUN - 1}}}", value):
        return f"repeats one character {SECRET_MAX_RUN} or more times in a row"
    steps = sum(abs(ord(b) - ord(a)) == 1 for a, b in zip(value, value[1:], strict=False))
    if steps * 2 > len(value) - 1:
        return "is mostly a run of consecutive characters"
    if len(set(value)) < SECRET_MIN_DISTINCT:
        return f"uses only {len(set(value))} different characters"
    if _entropy_per_character(value) < SECRET_MIN_ENTROPY_BITS:
        return "is too predictable (too little entropy)"
    return None


def secret_check(name: str, value: str, *, min_length: int) -> str:
    """`value`, or ImproperlyConfigured naming `name` and what is wrong with it."""
    weakness = secret_weakness(value, min_length=min_length)
    if weakness:
        raise ImproperlyConfigured(
            f"{name} must be a random value of at least {min_length} characters in production: this one {weakness}. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'")
    return value


def _shortest_period(value: str) -> int:
    """The smallest p with value[i] == value[i + p] everywhere (len(value) when nothing repeats)."""
    for period in range(1, len(value) // 2 + 1):
        if all(value[i] == value[i + period] for i in range(len(value) - period)):
            return period
    return len(value)


def _entropy_per_character(value: str) -> float:
    counts = Counter(value)
    return -sum(count / len(value) * math.log2(count / len(value)) for count in counts.values())
