"""Streaming: a file in, COPY text rows (`<list id>\t<E.164>\n`) out, block by block."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from compliance.services.dnc.errors import DncFileInvalid
from compliance.services.dnc.normalize import (
    RejectedLine,
    normalize_csv_value,
    normalize_e164,
    normalize_ftc,
    normalize_tps,
)

FILE_FORMATS = ("ftc", "e164", "csv", "tps")
REPORT_CONTENT_CHARS = 200
READ_BLOCK_BYTES = 1 << 20  # about 90,000 registry lines: one regex check and one COPY write each
MAX_LINE_BYTES = 4096  # longer "lines" (a binary file, no line breaks) are cut, so the buffer stays small
CSV_BATCH_ROWS = 10_000


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
    """A rejected line as the report shows it. A NUL is written as `\\x00`: PostgreSQL's text refuses NULs, and
    the report is saved on the import's row, so one NUL would make recording the import's outcome fail."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text.rstrip("\r\n")[:REPORT_CONTENT_CHARS].replace("\x00", "\\x00")


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class _TextOnly(io.RawIOBase):
    """The file's bytes as they are, refused at the first NUL byte with DncFileInvalid naming its line.

    No registry, CSV or TPS file holds a NUL; a file that does is UTF-16 or binary, whose every "line" would be
    rejected (and whose NULs PostgreSQL's text cannot store), so the import stops with one clear reason instead.
    """

    def __init__(self, stream: BinaryIO):
        super().__init__()
        self._stream = stream
        self._lines = 0  # line breaks read so far
        self._first = True

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if b"\0" in data:
            line_no = self._lines + data.count(b"\n", 0, data.index(b"\0")) + 1
            hint = " (the file is UTF-16: save it as UTF-8 or plain text)" if (
                self._first and data.startswith(UTF16_BOMS)) else ""
            raise DncFileInvalid(f"Not a text file: NUL byte on line {line_no}{hint}.")
        self._first = self._first and not data
        self._lines += data.count(b"\n")
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class LineFormat:
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
    "ftc": LineFormat(normalize_ftc, re.compile(rb"(?:[2-9]\d\d,?[2-9]\d{6}\n)*+"), country=b"+1", commas=True),
    "e164": LineFormat(normalize_e164, re.compile(rb"(?:\+(?:1[2-9]\d\d[2-9]\d{6}|[2-9]\d{7,14})\n)*+")),
    "tps": LineFormat(normalize_tps, re.compile(rb"(?:0[1-9]\d{8,9}\n)*+"), country=b"+44", drop=b"0"),
}


def _line_blocks(stream: BinaryIO | _TextOnly) -> Iterator[bytes]:
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

    Line numbers count every physical line from 1, blank ones included, so they match an editor's. A NUL byte
    anywhere stops the file with DncFileInvalid ("Not a text file: NUL byte on line N").
    """
    checked = _TextOnly(stream)

    def reject(line_no: int, reason: str, raw: bytes | str) -> None:
        counts.lines_rejected += 1
        on_reject(Rejection(line_no, reason, _shown(raw)))

    if file_format == "csv":
        yield from _csv_rows(checked, list_id=list_id, counts=counts, reject=reject)
        return
    line_format = LINE_FORMATS[file_format]
    for block in _line_blocks(checked):
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


def _csv_rows(stream: _TextOnly, *, list_id: int, counts: ImportCounts, reject: Reject) -> Iterator[bytes]:
    """The slower path for small files: any phone format, normalised with phonenumbers."""
    text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8-sig", errors="replace", newline="")
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
