"""Logs never carry a full phone number or email address: a filter on every handler masks them.

A phone keeps its last two digits ("+*********67"), an email its first letter and domain
("j***@example.com"): enough to tell records apart when debugging, not enough to contact anyone. The filter
masks the formatted message (arguments included) and the exception text, whatever logger wrote them.
"""

from __future__ import annotations

import logging
import re

# E.164 (+ and 7-15 digits), and national formats written with separators: (415) 555-0123, 415.555.0123.
# Bare digit runs are left alone: in logs they are far more often ids than phone numbers.
E164 = re.compile(r"\+\d{7,15}\b")
NATIONAL = re.compile(r"(?<![\w+])\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}(?![\w])")
EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")


def _mask_number(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    return f"{'+' if text.startswith('+') else ''}{'*' * (len(digits) - 2)}{digits[-2:]}"


def mask(text: str) -> str:
    text = EMAIL.sub(lambda match: f"{match.group(1)}***@{match.group(2)}", text)
    return NATIONAL.sub(_mask_number, E164.sub(_mask_number, text))


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True
