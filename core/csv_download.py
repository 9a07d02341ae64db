"""The one CSV writer for every file the product hands out (dashboards, breakdowns, DNC reports, the audit trail,
data exports).

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (and, in some, a tab or a carriage return) as a
formula, so free text an agent, a customer or an imported file put in the database could open as
`=HYPERLINK(...)` on a supervisor's machine. Following OWASP's rule, such a text cell is written with a leading
apostrophe, which spreadsheets show as plain text. Numbers stay numbers: a value of a numeric type, or a text that
is only a signed number (`-3`, `+1.5`, `-12%`), cannot be a formula and is written as it is.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*(?:[eE][+-]?\d+)?%?")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet will show it, never run it: text that a spreadsheet would read as a formula gets a
    leading apostrophe; None becomes an empty cell; anything else is left to the csv module."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` with every cell passed through `safe_cell`."""

    def __init__(self, stream: Any, **options: Any):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: Any, **options: Any) -> SafeCsvWriter:
    """A writer for any CSV the product produces (a file, a buffer or a response)."""
    return SafeCsvWriter(stream, **options)


def csv_response(filename: str) -> tuple[HttpResponse, SafeCsvWriter]:
    """A downloadable CSV response named `filename` and the safe writer that fills it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv_writer(response)
