"""Opt-outs imported from a file (another system's suppression list, a store's unsubscribes)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from compliance.models import OptOut
from compliance.services.dnc import RejectedLine, normalize_csv_value
from compliance.services.optouts import optout_record


@dataclass
class OptOutImportResult:
    recorded: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, reason, content)


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs: CSV with a phone and/or email header, or one value per line."""
    reader = csv.reader(lines)
    first = next(reader, None)
    if first is None:
        return
    header = [cell.strip().lower() for cell in first]
    if {"phone", "email"} & set(header):
        for row in reader:
            yield reader.line_num, dict(zip(header, (cell.strip() for cell in row), strict=False))
        return
    for number, row in enumerate([first, *reader], start=1):
        value = row[0].strip() if row else ""
        yield number, {"email": value} if "@" in value else {"phone": value}


def _identity(row: dict[str, str]) -> tuple[str, str]:
    email = (row.get("email") or "").strip().lower()
    raw_phone = (row.get("phone") or "").strip()
    if email and ("@" not in email or " " in email):
        raise RejectedLine(f"{email!r} is not an email address")
    phone = normalize_csv_value(raw_phone, country=row.get("country", "")) if raw_phone else ""
    if not phone and not email:
        raise RejectedLine("no phone number or email address")
    return phone, email


def optouts_import(*, lines: Iterable[str], scope: str, evidence: str, dry_run: bool = False) -> OptOutImportResult:
    """Record an opt-out for every usable line; bad lines are reported by number and skipped."""
    result = OptOutImportResult()
    for line_number, row in _rows(lines):
        if not any(row.values()):
            continue
        try:
            phone, email = _identity(row)
        except RejectedLine as exc:
            result.rejected.append((line_number, exc.reason, ",".join(row.values())[:200]))
            continue
        if not dry_run:
            optout_record(phone=phone, email=email, scope=scope, source=OptOut.Source.IMPORT, evidence=evidence)
        result.recorded += 1
    return result
