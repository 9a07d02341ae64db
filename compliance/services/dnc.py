"""Do-Not-Call lists: streaming imports of registry files, small manual changes, one partition per list.

Lists come as files: the US national registry (FTC full and change files), state lists, the company's
internal list and the UK TPS/CTPS. Every number is stored as E.164 in `compliance_dncentry`, a table
partitioned by list, so a full import builds a complete new table beside the live partition and swaps it
in, all in one transaction whose exclusive locks come only in its last milliseconds: lookups never see a
half-loaded list, the load holds up no other list, and a crash anywhere leaves the old list.

An import runs the same way from `manage.py import_dnc` and from `import_dnc_file_task`: it streams the
file (memory stays flat for any size), normalises each line, and COPYs the good ones on a connection of
its own, while progress is written through Django's connection, in autocommit, so other sessions (the
admin's progress bar) see it as it happens. Rejected lines never stop the good ones; they are reported
with their line numbers, in the DncImport row (the first 10,000) and in full in a CSV file. Blank lines
are skipped silently: they are not numbers, and not mistakes worth a report line either.

Row counts: `entry_count` counts rows, not distinct numbers. A file that repeats a number stores it twice
(harmless for lookups; registry files do not repeat numbers) and counting distinct values of 10M rows
would add seconds to every import.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import phonenumbers
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from compliance.models import DncImport, DncList
from config.exceptions import ApplicationError, ConflictError

logger = logging.getLogger(__name__)

FILE_FORMATS = ("ftc", "e164", "csv", "tps")
ENTRIES_TABLE = "compliance_dncentry"
# The entries table's columns (migration 0002), spelled out for the tables an import loads: `LIKE` would
# hold a lock on the entries table for the whole load and stall other lists' swaps. ATTACH refuses a
# table whose columns differ, so a change to the entries table cannot go unnoticed here.
ENTRY_COLUMNS = "dnc_list_id bigint NOT NULL, phone varchar(16) NOT NULL"
REPORT_HEADER = ("line_no", "reason", "content")
REPORT_KEPT_LINES = 10_000  # rejected lines kept in DncImport.rejected_report; the file has them all
REPORT_CONTENT_CHARS = 200
READ_BLOCK_BYTES = 1 << 20  # about 90,000 registry lines: one regex check and one COPY write each
MAX_LINE_BYTES = 4096  # longer "lines" (a binary file, no line breaks) are cut, so the buffer stays small
CSV_BATCH_ROWS = 10_000
PROGRESS_SECONDS = 0.5
# The swap needs brief exclusive locks on the entries table; a long query on it must not queue every
# lookup behind us, so we give up after a short wait, keep the loaded data and try again.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_ATTEMPTS = 5
SWAP_RETRY_PAUSE_SECONDS = 3.0

# US states, DC and the territories: the `state-XX` lists the import creates on first use.
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU",
    "AS", "MP",
})
_FIXED_LISTS = {
    "national": (DncList.Kind.NATIONAL, ""),
    "internal": (DncList.Kind.INTERNAL, ""),
    "uk-tps": (DncList.Kind.UK_TPS, ""),
    "uk-ctps": (DncList.Kind.UK_CTPS, ""),
}


class DncListUnknown(ApplicationError):
    message = "No such DNC list."


class DncImportBusy(ConflictError):
    message = "Another import of this list is running."


class DncFileInvalid(ApplicationError):
    message = "The file cannot be imported."


class DncNumberInvalid(ApplicationError):
    message = "Not an E.164 phone number."


class RejectedLine(ValueError):
    """A line or value that is not a number a list can hold; `reason` says why, for the report."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Normalisation: pure functions, one per file format, from one line (or CSV value) to E.164.


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()  # str.isdigit alone accepts "²" and other scripts' digits


def _nanp(ten_digits: str) -> str:
    if ten_digits[0] in "01":
        raise RejectedLine("area code cannot start with 0 or 1")
    if ten_digits[3] in "01":
        raise RejectedLine("exchange code cannot start with 0 or 1")
    return "+1" + ten_digits


def normalize_ftc(line: str) -> str:
    """E.164 for one line of an FTC registry file: ten digits, or `NPA,NXXXXXX` (area code, comma, number).

    Surrounding whitespace (a CRLF included) is ignored; NANP rules apply to the area and exchange codes.
    """
    text = line.strip()
    if not text:
        raise RejectedLine("blank line")
    if "," in text:
        npa, _, number = (part.strip() for part in text.partition(","))
        if not (len(npa) == 3 and len(number) == 7 and _is_digits(npa) and _is_digits(number)):
            raise RejectedLine("expected NPA,NXXXXXX (3 digits, comma, 7 digits)")
        text = npa + number
    elif not _is_digits(text):
        raise RejectedLine("not a number (only digits allowed)")
    elif len(text) != 10:
        raise RejectedLine(f"not 10 digits ({len(text)})")
    return _nanp(text)


def normalize_e164(line: str) -> str:
    """The line itself when it is E.164: `+`, then 8 to 15 digits; a +1 number also follows NANP rules.

    A hand check rather than phonenumbers: it is what E.164 promises, and it keeps 10M lines fast.
    """
    text = line.strip()
    if not text:
        raise RejectedLine("blank line")
    if not text.startswith("+"):
        raise RejectedLine("must start with + (E.164)")
    digits = text[1:]
    if not _is_digits(digits):
        raise RejectedLine("only digits may follow the +")
    if not 8 <= len(digits) <= 15:
        raise RejectedLine(f"not 8 to 15 digits after the + ({len(digits)})")
    if digits[0] == "0":
        raise RejectedLine("country code cannot start with 0")
    if digits[0] == "1":
        if len(digits) != 11:
            raise RejectedLine(f"a +1 number has 10 digits after the +1 ({len(digits) - 1})")
        return _nanp(digits[1:])
    return text


def normalize_tps(line: str) -> str:
    """E.164 for one UK TPS/CTPS record: the national format, 10 or 11 digits with the leading 0."""
    text = line.strip()
    if not text:
        raise RejectedLine("blank line")
    if not _is_digits(text):
        raise RejectedLine("not a number (only digits allowed)")
    if text[0] != "0":
        raise RejectedLine("must start with 0 (UK national format)")
    if text.startswith("00"):
        raise RejectedLine("starts with 00 (an international prefix, not a UK number)")
    if not 10 <= len(text) <= 11:
        raise RejectedLine(f"not 10 or 11 digits ({len(text)})")
    return "+44" + text[1:]


_UNPARSABLE = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown or missing country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "not a number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}
_IMPOSSIBLE = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short",
    phonenumbers.ValidationResult.TOO_LONG: "too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "wrong length",
}


def normalize_csv_value(value: str, *, country: str = "") -> str:
    """E.164 for a free-form phone from a CSV file; national numbers are read in `country` (ISO code).

    Accepts every *possible* number (right length), not only *valid* ones (known ranges): a DNC list
    must not drop a number because phonenumbers' metadata has not caught up with a new range.
    """
    text = value.strip()
    if not text:
        raise RejectedLine("no phone number")
    region = (country.strip() or settings.PHONENUMBER_DEFAULT_REGION).upper()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise RejectedLine(f"not a phone number ({_UNPARSABLE.get(exc.error_type, 'unreadable')})") from None
    verdict = phonenumbers.is_possible_number_with_reason(number)
    if verdict not in (phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise RejectedLine(f"not a possible phone number ({_IMPOSSIBLE.get(verdict, 'invalid')})")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Streaming: a file in, COPY text rows (`<list id>\t<E.164>\n`) out, block by block.


@dataclass
class ImportCounts:
    """How far a file has been read; the names are DncImport's fields, so they are saved as they are."""

    bytes_total: int = 0
    bytes_read: int = 0
    lines_read: int = 0
    numbers_loaded: int = 0
    lines_rejected: int = 0

    def as_fields(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Rejection:
    line_no: int
    reason: str
    content: str


Reject = Callable[[int, str, bytes | str], None]


def _shown(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text.rstrip("\r\n")[:REPORT_CONTENT_CHARS]


@dataclass(frozen=True)
class _LineFormat:
    """A one-number-per-line format: its pure normaliser, and a fast path for blocks with no bad line.

    `clean_block` matches a block only if every line in it is valid as it stands (the same rules as
    `normalize`, which the tests check); such a block is turned into COPY rows by a few byte
    replacements in C instead of a Python loop over its lines, which is what makes 10M lines fast.
    """

    normalize: Callable[[str], str]
    clean_block: re.Pattern[bytes]
    country: bytes = b""  # put before each number
    drop: bytes = b""  # the national prefix every line starts with, dropped
    commas: bool = False  # `NPA,NXXXXXX` lines: the comma goes

    def rows(self, body: bytes, *, list_id: int, first_line_no: int, reject: Reject) -> tuple[bytes, int]:
        """COPY rows for `body` (whole lines, each ending in b"\\n") and how many numbers they hold."""
        if self.clean_block.fullmatch(body):
            if self.commas and b"," in body:
                body = body.replace(b",", b"")
            head = b"%d\t%s" % (list_id, self.country)
            return head + body[len(self.drop) : -1].replace(b"\n" + self.drop, b"\n" + head) + b"\n", body.count(b"\n")
        return self._rows_line_by_line(body, list_id=list_id, first_line_no=first_line_no, reject=reject)

    def _rows_line_by_line(self, body: bytes, *, list_id: int, first_line_no: int, reject: Reject) -> tuple[bytes, int]:
        """Blank lines are skipped silently (not rejects); every other bad line is rejected with its reason."""
        head = b"%d\t" % list_id
        rows = []
        for line_no, line in enumerate(body.split(b"\n")[:-1], start=first_line_no):
            text = line.strip()
            if not text:
                continue
            try:
                rows.append(head + self.normalize(text.decode("latin-1")).encode("ascii") + b"\n")
            except RejectedLine as exc:
                reject(line_no, exc.reason, line)
        return b"".join(rows), len(rows)


LINE_FORMATS = {
    "ftc": _LineFormat(normalize_ftc, re.compile(rb"(?:[2-9]\d\d,?[2-9]\d{6}\n)*+"), country=b"+1", commas=True),
    "e164": _LineFormat(normalize_e164, re.compile(rb"(?:\+(?:1[2-9]\d\d[2-9]\d{6}|[2-9]\d{7,14})\n)*+")),
    "tps": _LineFormat(normalize_tps, re.compile(rb"(?:0[1-9]\d{8,9}\n)*+"), country=b"+44", drop=b"0"),
}


def _line_blocks(stream: BinaryIO) -> Iterator[bytes]:
    """The file as blocks of whole lines, each ending in b"\\n" (added after a last line without one).

    A line longer than MAX_LINE_BYTES is cut to that length (it can only be rejected) and the rest of it
    skipped, so neither the file's size nor a missing line break can make memory grow.
    """
    carry, skipping = b"", False
    while chunk := stream.read(READ_BLOCK_BYTES):
        if skipping:
            end = chunk.find(b"\n")
            if end < 0:
                continue
            chunk, skipping = chunk[end + 1 :], False
        buffer = carry + chunk
        cut = buffer.rfind(b"\n") + 1
        block, carry = buffer[:cut], buffer[cut:]
        if len(carry) > MAX_LINE_BYTES:
            block, carry, skipping = block + carry[:MAX_LINE_BYTES] + b"\n", b"", True
        if block:
            yield block
    if carry:
        yield carry + b"\n"


def iter_copy_rows(
    stream: BinaryIO, *, file_format: str, list_id: int, counts: ImportCounts, on_reject: Callable[[Rejection], None]
) -> Iterator[bytes]:
    """COPY text rows for every good line of `stream`, a block at a time, counting as it goes.

    Line numbers count every physical line from 1, blank ones included, so they match an editor's.
    """

    def reject(line_no: int, reason: str, raw: bytes | str) -> None:
        counts.lines_rejected += 1
        on_reject(Rejection(line_no, reason, _shown(raw)))

    if file_format == "csv":
        yield from _csv_rows(stream, list_id=list_id, counts=counts, reject=reject)
        return
    line_format = LINE_FORMATS[file_format]
    for block in _line_blocks(stream):
        if counts.lines_read == 0 and block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]  # a UTF-8 byte order mark, as spreadsheet exports write
        body = block.replace(b"\r\n", b"\n") if b"\r" in block else block
        rows, loaded = line_format.rows(body, list_id=list_id, first_line_no=counts.lines_read + 1, reject=reject)
        counts.lines_read += body.count(b"\n")
        counts.numbers_loaded += loaded
        if rows:
            yield rows


def _csv_columns(reader: Iterator[list[str]]) -> tuple[int, int | None]:
    header = [name.strip().lower() for name in next(reader, [])]
    if "phone" not in header:
        raise DncFileInvalid("The CSV file's first row must name a 'phone' column (and may name a 'country' one).")
    return header.index("phone"), header.index("country") if "country" in header else None


def _csv_rows(stream: BinaryIO, *, list_id: int, counts: ImportCounts, reject: Reject) -> Iterator[bytes]:
    """The slower path for small files: any phone format, normalised with phonenumbers."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    try:
        reader = csv.reader(text)
        phone_at, country_at = _csv_columns(reader)
        rows: list[bytes] = []
        for record in _csv_records(reader, reject):
            counts.lines_read = reader.line_num
            try:
                country = record[country_at] if country_at is not None and country_at < len(record) else ""
                phone = normalize_csv_value(record[phone_at] if phone_at < len(record) else "", country=country)
                rows.append(b"%d\t%s\n" % (list_id, phone.encode("ascii")))
            except RejectedLine as exc:
                reject(reader.line_num, exc.reason, ",".join(record))
            if len(rows) >= CSV_BATCH_ROWS:
                counts.numbers_loaded += len(rows)
                yield b"".join(rows)
                rows = []
        counts.lines_read = reader.line_num
        counts.numbers_loaded += len(rows)
        if rows:
            yield b"".join(rows)
    finally:
        text.detach()  # the caller owns the binary stream and still reads its position


def _csv_records(reader: Any, reject: Reject) -> Iterator[list[str]]:
    """The data rows that hold anything; a row the csv module cannot read is rejected, not fatal."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reject(reader.line_num, f"unreadable CSV ({exc})", "")
            continue
        if any(value.strip() for value in record):
            yield record


# Lists and their partitions.


def _partition(list_id: int) -> str:
    return f"{ENTRIES_TABLE}_p{int(list_id)}"


def _stage(list_id: int) -> str:
    return f"{ENTRIES_TABLE}_stage_{int(list_id)}"


def dnc_list_spec(name: str) -> tuple[str, str] | None:
    """(kind, region) for a list name the product knows, e.g. `state-TX` → (state, TX); None otherwise."""
    lowered = name.strip().lower()
    if lowered in _FIXED_LISTS:
        return _FIXED_LISTS[lowered]
    prefix, _, region = lowered.partition("-")
    if prefix == "state" and region.upper() in US_STATES:
        return DncList.Kind.STATE, region.upper()
    return None


def dnc_list_get_or_create(*, name: str, create: bool = True) -> tuple[DncList, bool]:
    """The list called `name` (any case) and whether it is new: a known name (national, internal, state-XX,
    uk-tps, uk-ctps) gets a list on first use; with `create=False` (a dry run) it stays unsaved.

    Raises DncListUnknown, naming the existing lists, for any other name.
    """
    found = DncList.objects.filter(name__iexact=name.strip()).first()
    if found:
        return found, False
    spec = dnc_list_spec(name)
    if spec is None:
        existing = ", ".join(DncList.objects.order_by("name").values_list("name", flat=True)) or "none yet"
        raise DncListUnknown(
            f"No DNC list called {name!r} (existing: {existing}). New lists are created automatically for: "
            "national, internal, state-XX (a US state code), uk-tps, uk-ctps."
        )
    dnc_list = DncList(name=name.strip().lower(), kind=spec[0], region=spec[1])
    dnc_list.full_clean()
    if not create:
        return dnc_list, True
    return DncList.objects.get_or_create(name=dnc_list.name, defaults={"kind": spec[0], "region": spec[1]})


def dnc_default_format(*, list_kind: str) -> str:
    """The format a list's files usually come in: the UK lists in national format, the others as FTC files."""
    return "tps" if list_kind in (DncList.Kind.UK_TPS, DncList.Kind.UK_CTPS) else "ftc"


def ensure_dnc_partition(list_id: int, *, cursor: Any = None) -> None:
    """Create the list's partition and its phone index unless it exists.

    Checked first, because creating a partition locks the whole entries table even when it exists.
    Uses Django's connection unless given a cursor (a psycopg one in the middle of an import).
    """
    partition = _partition(list_id)
    if cursor is None:
        with connection.cursor() as django_cursor:
            ensure_dnc_partition(list_id, cursor=django_cursor)
        return
    cursor.execute("SELECT to_regclass(%s)", [partition])
    if cursor.fetchone()[0] is None:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition} PARTITION OF {ENTRIES_TABLE} FOR VALUES IN ({int(list_id)})"
        )
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {partition}_phone ON {partition} (phone)")


def dnc_number_listed(list_id: int, phone: str) -> bool:
    """Whether the list holds `phone` (E.164); reads only that list's partition."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {ENTRIES_TABLE} WHERE dnc_list_id = %s AND phone = %s)", [list_id, phone]
        )
        return cursor.fetchone()[0]


# Small changes by people (an agent adds a number the customer asked us never to call again).


def _valid_e164(phones: Iterable[str]) -> list[str]:
    numbers = []
    for phone in phones:
        try:
            numbers.append(normalize_e164(phone))
        except RejectedLine as exc:
            raise DncNumberInvalid(f"{phone!r} is not an E.164 phone number: {exc.reason}.") from None
    return sorted(set(numbers))


_ADD_SQL = (
    "INSERT INTO {table} (dnc_list_id, phone) SELECT %s, phone FROM unnest(%s::varchar[]) AS added (phone) "
    "WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.phone = added.phone)"
)
_REMOVE_SQL = "DELETE FROM {table} WHERE phone = ANY(%s::varchar[])"


@transaction.atomic
def _change_numbers(*, dnc_list: DncList, phones: Iterable[str], source: str, mode: str) -> int:
    numbers = _valid_e164(phones)
    locked = DncList.objects.select_for_update().get(pk=dnc_list.pk)  # one writer per list, imports included
    ensure_dnc_partition(locked.pk)
    sql, params = (_ADD_SQL, [locked.pk, numbers]) if mode == DncImport.Mode.ADD else (_REMOVE_SQL, [numbers])
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=_partition(locked.pk)), params)
        changed = cursor.rowcount
    delta = changed if mode == DncImport.Mode.ADD else -changed
    DncList.objects.filter(pk=locked.pk).update(
        version=F("version") + 1, entry_count=Greatest(F("entry_count") + delta, 0)
    )
    locked.refresh_from_db()
    now = timezone.now()
    DncImport.objects.create(
        dnc_list=locked, mode=mode, file_format="manual", file_name=source[:255], status=DncImport.Status.DONE,
        lines_read=len(numbers), numbers_loaded=changed, version_after=locked.version, started_at=now, finished_at=now,
    )
    dnc_list.refresh_from_db()
    return changed


def dnc_add_numbers(*, dnc_list: DncList, phones: Iterable[str], source: str) -> int:
    """Add E.164 numbers to a list (for a handful, not for files) and return how many were new.

    The list's version goes up, and a DncImport row (format "manual", file name = `source`, e.g.
    "agent maya: customer request") records who changed it. Raises DncNumberInvalid for a bad number.
    A full replace of the same list makes its file the whole list: numbers added while it loads are gone
    after its swap (the internal list is rarely replaced from a file; add them again, or use --delta add).
    """
    return _change_numbers(dnc_list=dnc_list, phones=phones, source=source, mode=DncImport.Mode.ADD)


def dnc_remove_numbers(*, dnc_list: DncList, phones: Iterable[str], source: str) -> int:
    """Remove E.164 numbers from a list and return how many rows went; recorded like dnc_add_numbers."""
    return _change_numbers(dnc_list=dnc_list, phones=phones, source=source, mode=DncImport.Mode.REMOVE)


# Imports from files.


def rejected_report_path(import_record: DncImport) -> Path:
    """Where the full rejected-lines report (CSV: line_no, reason, content) of an import is written:
    var/dnc-reports/ unless settings.DNC_REPORTS_DIR says otherwise (the benchmark and the tests, whose
    databases number their imports from 1 too, must not overwrite the development database's reports)."""
    directory = getattr(settings, "DNC_REPORTS_DIR", None) or Path(settings.BASE_DIR) / "var" / "dnc-reports"
    return Path(directory) / f"import-{import_record.pk}.csv"


def dnc_import_create(
    *, dnc_list: DncList, path: Path, mode: str, file_format: str, requested_by: Any = None
) -> DncImport:
    """Record an import of a file already on disk (the command's PATH, or an upload); run it with
    dnc_import_run, directly or through import_dnc_file_task."""
    if file_format not in FILE_FORMATS:
        raise DncFileInvalid(f"Unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}.")
    path = Path(path).resolve()
    record = DncImport(
        dnc_list=dnc_list, mode=mode, file_format=file_format, file_name=path.name[:255], file_path=str(path),
        bytes_total=path.stat().st_size if path.is_file() else 0, requested_by=requested_by,
    )
    record.full_clean()
    record.save()
    return record


class _RejectReport:
    """Every rejected line into a CSV file (when given a path), the first 10,000 also kept in memory."""

    def __init__(self, path: Path | None):
        self.kept: list[Rejection] = []
        self._file = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow(REPORT_HEADER)

    def add(self, rejection: Rejection) -> None:
        if len(self.kept) < REPORT_KEPT_LINES:
            self.kept.append(rejection)
        if self._file is not None:
            self._writer.writerow((rejection.line_no, rejection.reason, rejection.content))

    def text(self) -> str:
        if not self.kept:
            return ""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(REPORT_HEADER)
        writer.writerows((r.line_no, r.reason, r.content) for r in self.kept)
        return buffer.getvalue()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


ProgressCallback = Callable[[ImportCounts], None]


@dataclass
class _Progress:
    """Calls `save` (and the caller's `on_progress`) at most every PROGRESS_SECONDS while a file is read."""

    counts: ImportCounts
    save: Callable[[ImportCounts], None] | None = None
    on_progress: ProgressCallback | None = None
    _last: float = field(default_factory=time.monotonic)

    def tick(self, bytes_read: int) -> None:
        self.counts.bytes_read = bytes_read
        if time.monotonic() - self._last >= PROGRESS_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._last = time.monotonic()
        if self.save:
            self.save(self.counts)
        if self.on_progress:
            self.on_progress(self.counts)


@dataclass(frozen=True)
class DncFileCheck:
    """What a dry run found: the counts, and the first 10,000 rejected lines."""

    counts: ImportCounts
    rejections: list[Rejection]


def dnc_file_validate(*, path: Path, file_format: str, on_progress: ProgressCallback | None = None) -> DncFileCheck:
    """Read and normalise a file exactly as an import would, without touching the database (--dry-run)."""
    if file_format not in FILE_FORMATS:
        raise DncFileInvalid(f"Unknown file format {file_format!r}; use one of {', '.join(FILE_FORMATS)}.")
    counts = ImportCounts(bytes_total=path.stat().st_size)
    report = _RejectReport(None)
    progress = _Progress(counts, on_progress=on_progress)
    with path.open("rb") as stream:
        for _rows in iter_copy_rows(stream, file_format=file_format, list_id=0, counts=counts, on_reject=report.add):
            progress.tick(stream.tell())
        progress.tick(stream.tell())
    progress.flush()
    return DncFileCheck(counts=counts, rejections=report.kept)


class _ImportRun:
    """One running import: its counters, progress written through Django, and its rejected-lines report."""

    def __init__(self, record: DncImport, on_progress: ProgressCallback | None):
        self.record = record
        self.list_id = record.dnc_list_id
        self.counts = ImportCounts(bytes_total=os.path.getsize(record.file_path))
        self.progress = _Progress(self.counts, save=self._save, on_progress=on_progress)
        self.report = _RejectReport(rejected_report_path(record))

    def _save(self, counts: ImportCounts) -> None:
        DncImport.objects.filter(pk=self.record.pk).update(**counts.as_fields())

    def start(self) -> None:
        DncImport.objects.filter(pk=self.record.pk).update(
            status=DncImport.Status.RUNNING, started_at=timezone.now(), finished_at=None, error="",
            rejected_report="", **self.counts.as_fields(),
        )

    def copy_into(self, pg: psycopg.Connection, table: str, *, freeze: bool) -> None:
        """Stream the file into `table` with one COPY; progress is saved as the file is read."""
        options = " (FREEZE)" if freeze else ""
        with open(self.record.file_path, "rb") as stream, pg.cursor() as cursor:
            with cursor.copy(f"COPY {table} (dnc_list_id, phone) FROM STDIN{options}") as copy:
                rows = iter_copy_rows(
                    stream, file_format=self.record.file_format, list_id=self.list_id, counts=self.counts,
                    on_reject=self.report.add,
                )
                for block in rows:
                    _copy_write(copy, block)
                    self.progress.tick(stream.tell())
            self.progress.tick(stream.tell())
        self.progress.flush()
        self.report.close()  # complete on disk before the import can show as done

    def finish(self, cursor: Any, *, entry_count: int | None = None, delta: int = 0) -> None:
        """In the transaction that changes the list: bump its version and mark the import done."""
        now = timezone.now()
        full = self.record.mode == DncImport.Mode.REPLACE
        cursor.execute(
            f"UPDATE {DncList._meta.db_table} SET version = version + 1, "
            "entry_count = COALESCE(%s, GREATEST(entry_count + %s, 0)), last_import_at = %s, "
            "last_full_import_at = CASE WHEN %s THEN %s ELSE last_full_import_at END WHERE id = %s RETURNING version",
            [entry_count, delta, now, full, now, self.list_id],
        )
        version = cursor.fetchone()[0]
        fields = {**self.counts.as_fields(), "rejected_report": self.report.text(), "version_after": version}
        assignments = ", ".join(f"{name} = %s" for name in fields)
        cursor.execute(
            f"UPDATE {DncImport._meta.db_table} SET {assignments}, status = %s, error = '', finished_at = %s "
            "WHERE id = %s",
            [*fields.values(), DncImport.Status.DONE, now, self.record.pk],
        )

    def fail(self, error: str) -> None:
        DncImport.objects.filter(pk=self.record.pk).update(
            status=DncImport.Status.FAILED, error=error, finished_at=timezone.now(),
            rejected_report=self.report.text(), **self.counts.as_fields(),
        )


def _copy_write(copy: psycopg.Copy, block: bytes) -> None:
    """One block of rows into the COPY (a seam for the tests, which make it fail midway)."""
    copy.write(block)


def _with_lock_retries(pg: psycopg.Connection, step: Callable[[], None]) -> None:
    """Run `step` in a savepoint; if its locks are not granted in SWAP_LOCK_TIMEOUT, roll back only the
    step (the loaded data stays) and try again a little later."""
    pg.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with pg.transaction():
                step()
            return
        except psycopg.errors.LockNotAvailable:
            if attempt == SWAP_ATTEMPTS:
                raise DncImportBusy(
                    f"The DNC entries stayed locked by other sessions through {SWAP_ATTEMPTS} attempts."
                ) from None
            time.sleep(SWAP_RETRY_PAUSE_SECONDS)


def _replace_list(pg: psycopg.Connection, run: _ImportRun) -> None:
    """Load the file into a new table beside the live partition, index it, and swap it in.

    Everything happens in one transaction on the import's connection, so a crash anywhere rolls it all
    back and leaves the old list; the exclusive locks come only in the last step and last milliseconds.
    COPY FREEZE (allowed because the table is new in this transaction) spares PostgreSQL rewriting every
    page later; the CHECK constraint lets ATTACH skip its validation scan.
    """
    stage = _stage(run.list_id)
    pg.execute(f"DROP TABLE IF EXISTS {stage}")  # left by a run that died between statements in the past
    with pg.transaction():
        pg.execute(
            f"CREATE TABLE {stage} ({ENTRY_COLUMNS}, "
            f"CONSTRAINT {_partition(run.list_id)}_list CHECK (dnc_list_id = {run.list_id}))"
        )
        run.copy_into(pg, stage, freeze=True)
        if not run.counts.numbers_loaded:
            raise DncFileInvalid("No valid number in the file: refusing to replace the list with an empty one.")
        pg.execute(f"CREATE INDEX {stage}_phone ON {stage} (phone)")
        pg.execute(f"ANALYZE {stage}")
        _with_lock_retries(pg, lambda: _swap_partition(pg, run, stage))


def _swap_partition(pg: psycopg.Connection, run: _ImportRun, stage: str) -> None:
    partition = _partition(run.list_id)
    with pg.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {DncList._meta.db_table} WHERE id = %s FOR UPDATE", [run.list_id])
        # Dropping a partition detaches it; doing it first frees its name and its index's name.
        cursor.execute(f"DROP TABLE IF EXISTS {partition}")
        cursor.execute(f"ALTER TABLE {stage} RENAME TO {partition}")
        cursor.execute(f"ALTER INDEX {stage}_phone RENAME TO {partition}_phone")
        cursor.execute(f"ALTER TABLE {ENTRIES_TABLE} ATTACH PARTITION {partition} FOR VALUES IN ({run.list_id})")
        run.finish(cursor, entry_count=run.counts.numbers_loaded)


def _apply_change_list(pg: psycopg.Connection, run: _ImportRun) -> None:
    """Load a change file into a temporary table, then add or delete its numbers in the same transaction
    as the list's version bump."""
    with pg.transaction():
        pg.execute(f"CREATE TEMP TABLE dnc_changes ({ENTRY_COLUMNS}) ON COMMIT DROP")
        run.copy_into(pg, "dnc_changes", freeze=False)
        pg.execute("ANALYZE dnc_changes")  # temporary tables get no autovacuum statistics
        _with_lock_retries(pg, lambda: _apply_changes(pg, run))


def _apply_changes(pg: psycopg.Connection, run: _ImportRun) -> None:
    partition = _partition(run.list_id)
    with pg.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {DncList._meta.db_table} WHERE id = %s FOR UPDATE", [run.list_id])
        ensure_dnc_partition(run.list_id, cursor=cursor)
        if run.record.mode == DncImport.Mode.ADD:
            cursor.execute(
                f"INSERT INTO {partition} (dnc_list_id, phone) SELECT DISTINCT dnc_list_id, phone FROM dnc_changes c "
                f"WHERE NOT EXISTS (SELECT 1 FROM {partition} e WHERE e.phone = c.phone)"
            )
            delta = cursor.rowcount
        else:
            cursor.execute(f"DELETE FROM {partition} e USING dnc_changes c WHERE e.phone = c.phone")
            delta = -cursor.rowcount
        run.finish(cursor, delta=delta)


def _import_connection() -> psycopg.Connection:
    """A connection of the import's own, with Django's settings: the long COPY transaction lives here,
    so the progress written through Django's connection is committed, and visible, as it goes."""
    params = {**connection.get_connection_params(), "autocommit": True}
    params.setdefault("application_name", "dnc_import")
    pg = psycopg.connect(**params)
    pg.execute("SET statement_timeout = 0")  # a national list's COPY takes minutes; web-request limits don't apply
    return pg


def _lock_list(pg: psycopg.Connection, record: DncImport) -> None:
    """One import per list at a time. A session lock: it goes with the connection if the process dies."""
    key = f"compliance.dnc_import.{record.dnc_list_id}"
    if not pg.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key]).fetchone()[0]:
        raise DncImportBusy(f"Another import of the list {record.dnc_list.name!r} is running.")


def dnc_import_run(*, import_id: int, on_progress: ProgressCallback | None = None) -> DncImport:
    """Run a queued import to its end and return the record, status done or failed (with `error`).

    A failed import changes nothing in the list. An import already done or failed is returned as it is
    (a redelivered task); one left "running" by a dead worker runs again. Raises DncImportBusy while
    another import of the same list runs. Must be called outside a transaction: the import commits on a
    connection of its own, which would not see rows this one has not committed.
    """
    if connection.in_atomic_block:
        raise RuntimeError("dnc_import_run commits on its own connection; call it outside transaction.atomic().")
    record = DncImport.objects.select_related("dnc_list").get(pk=import_id)
    if record.status in (DncImport.Status.DONE, DncImport.Status.FAILED):
        return record
    with _import_connection() as pg:
        _lock_list(pg, record)
        _run(pg, record, on_progress)
    record.refresh_from_db()
    return record


def _run(pg: psycopg.Connection, record: DncImport, on_progress: ProgressCallback | None) -> None:
    if not record.file_path or not Path(record.file_path).is_file():
        DncImport.objects.filter(pk=record.pk).update(
            status=DncImport.Status.FAILED, error=f"File not found: {record.file_path or '(no path)'}.",
            finished_at=timezone.now(),
        )
        return
    run = _ImportRun(record, on_progress)
    run.start()
    logger.info("DNC import %s into %s (%s) started", record.pk, record.dnc_list.name, record.mode)
    try:
        (_replace_list if record.mode == DncImport.Mode.REPLACE else _apply_change_list)(pg, run)
        logger.info("DNC import %s done: %s numbers, %s lines rejected", record.pk, run.counts.numbers_loaded,
                    run.counts.lines_rejected)
    except ApplicationError as exc:
        run.fail(exc.message)
    except Exception as exc:
        logger.exception("DNC import %s failed", record.pk)
        run.fail(f"{type(exc).__name__}: {exc}")
    except BaseException:
        run.fail("Interrupted.")
        raise
    finally:
        run.report.close()
