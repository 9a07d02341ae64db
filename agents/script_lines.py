"""The script's spoken lines: the defaults, the placeholders a store's own wording may use, and the one safe way
they are filled in.

A supervisor types the line; it is never run as a template (a Django or `str.format` template would let them
reach the objects behind a placeholder). A placeholder is a name in braces from `PLACEHOLDERS` and nothing else:
`check` refuses any other braces with a sentence naming the known placeholders, and `fill` replaces each one
with plain text, which the page escapes like any other text. A stored line that no longer checks (a placeholder
retired since) is not said: the default line is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from agents.models import ScriptLine

Line = ScriptLine.Line

# name -> what it says, shown beside the editor.
PLACEHOLDERS: dict[str, str] = {
    "customer_first_name": "the customer's first name (\"there\" when unknown)",
    "store_name": "the store's name",
    "agent_first_name": "the agent's first name",
    "cart_total": "the cart's total with its currency",
    "top_item": "the item the customer spent most on (\"items in your cart\" when there are none)",
}
DEFAULT_LINES: dict[str, str] = {
    Line.OPENING: "Hi {customer_first_name}, this is {agent_first_name} from {store_name}. I noticed you were "
                  "checking out the {top_item} earlier and wanted to make sure everything went OK. Do you have a "
                  "minute?",
    Line.FRICTION: "Was there anything that made you stop at checkout, the total, delivery, payment, a question "
                   "about the {top_item}?",
    Line.COMPLETION: "I can send you a link that takes you straight back to your cart. Which is easiest?",
}
MAX_LENGTH = 600
_BRACED = re.compile(r"\{([^{}]*)\}")


def check(text: str) -> str:
    """The line as it will be stored (trimmed), or ValidationError with the sentence the supervisor sees: an empty
    or overlong line, an unknown placeholder, or a brace that opens or closes no placeholder."""
    text = text.strip()
    if not text:
        raise ValidationError("Write the line, or use the default line.")
    if len(text) > MAX_LENGTH:
        raise ValidationError(f"Keep the line under {MAX_LENGTH} characters (it has {len(text)}).")
    known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    unknown = [name for name in _BRACED.findall(text) if name not in PLACEHOLDERS]
    if unknown:
        names = ", ".join(f"{{{name}}}" for name in dict.fromkeys(unknown))
        raise ValidationError(f"Unknown placeholder {names}: use only {known}.")
    if "{" in _BRACED.sub("", text) or "}" in _BRACED.sub("", text):
        raise ValidationError(f"A brace must enclose a placeholder, e.g. {{customer_first_name}}; use only {known}.")
    return text


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each placeholder replaced by its value, as plain text (checked lines only). A value that ends a
    sentence itself ("Coffee Gear Co.") takes the line's own full stop after it, so it is not said twice."""
    def value(match: re.Match[str]) -> str:
        said = values[match.group(1)]
        return said[:-1] if said.endswith(".") and text[match.end():match.end() + 1] == "." else said

    return _BRACED.sub(value, text)


def say(own: str | None, line: str, values: Mapping[str, str]) -> str:
    """What the agent says: the store's own line filled in, or the default when it has none or it no longer
    checks."""
    if own:
        try:
            return fill(check(own), values)
        except ValidationError:
            pass  # a placeholder retired since the line was written: the default still reads right
    return fill(DEFAULT_LINES[line], values)


@dataclass(frozen=True)
class Sample:
    """The made-up cart a preview is filled in with: no customer's data on a settings page."""

    customer_first_name: str = "Alex"
    agent_first_name: str = "Sam"
    cart_total: Decimal = Decimal("129.00")
    currency: str = "USD"
    top_item: str = "Trail Runner GTX"


SAMPLE = Sample()
