"""The console's keys for picking an option: which key each option of a step's list answers to.

One place for the sequence the templates show (`<kbd>`) and the browser listens for (`data-key` on the input,
read by `static/js/console.js`): the first nine options of a list take 1 to 9, the tenth 0, and any further ones
take letters, so a long list (the frictions, an admin-made list of offers) is worked by keyboard to its end. The
letters the console gives a meaning of its own on every step (D dial, H hang up, N next cart, W wrap-up) and the
letters of the "did it resolve?" choice are never handed out, so a key never means two things on one screen. An
option key only ticks or picks an option: it never presses a button, and so never sends anything.
"""

from __future__ import annotations

# Keys with a meaning on every console screen (see console.js): never an option's key.
CONSOLE_KEYS = frozenset("dhnw")
# Step 3's "Did it resolve the objection?" choice: the same letter whatever the list of offers above it.
RESOLVED_KEYS = {"yes": "r", "partly": "p", "no": "u"}

OPTION_KEYS = "1234567890" + "".join(
    letter for letter in "abcdefghijklmnopqrstuvwxyz"
    if letter not in CONSOLE_KEYS and letter not in RESOLVED_KEYS.values())


def option_key(position: int) -> str:
    """The key of the option at `position` (1 for the first) in a step's list; "" past the last key."""
    return OPTION_KEYS[position - 1] if 1 <= position <= len(OPTION_KEYS) else ""
