"""DNC imports: normalisation per format, the streaming parser, full and change imports, crashes, progress.

Imports commit on a psycopg connection of their own, which cannot see a test's uncommitted rows, so
the tests that run one commit for real (the `dnc_db` fixture) and remove their lists and partitions.
"""

from __future__ import annotations

import contextlib
import io
import random
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from compliance.models import AuditEvent, DncImport, DncList
from compliance.services import dnc as dnc_services
from compliance.services.dnc import (
    DncFileInvalid,
    DncImportBusy,
    DncListUnknown,
    DncNumberInvalid,
    ImportCounts,
    RejectedLine,
    dnc_add_numbers,
    dnc_file_validate,
    dnc_import_create,
    dnc_import_run,
    dnc_list_get_or_create,
    dnc_number_listed,
    dnc_remove_numbers,
    ensure_dnc_partition,
    iter_copy_rows,
    normalize_csv_value,
    normalize_e164,
    normalize_ftc,
    normalize_tps,
    rejected_report_path,
)
from compliance.services.dnc import formats as dnc_formats
from compliance.services.dnc import imports as dnc_imports
from compliance.tasks import fail_stalled_dnc_imports_task, import_dnc_file_task


def write_file(tmp_path: Path, text: str | bytes, name: str = "list.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def run_import(dnc_list: DncList, path: Path, mode: str = DncImport.Mode.REPLACE, file_format: str = "ftc",
               **kwargs) -> DncImport:
    record = dnc_import_create(dnc_list=dnc_list, path=path, mode=mode, file_format=file_format)
    return dnc_import_run(import_id=record.pk, **kwargs)


def parse(data: bytes, file_format: str = "ftc", list_id: int = 7) -> tuple[list[str], list[tuple], ImportCounts]:
    counts, rejected = ImportCounts(), []
    rows = b"".join(iter_copy_rows(io.BytesIO(data), file_format=file_format, list_id=list_id, counts=counts,
                                   on_reject=rejected.append))
    return rows.decode().splitlines(), [(r.line_no, r.reason, r.content) for r in rejected], counts


def table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


# Normalisation, format by format.


@pytest.mark.parametrize(("line", "expected"), [
    ("2125550142", "+12125550142"),
    ("212,5550142", "+12125550142"),
    ("  2125550142 \r\n", "+12125550142"),
    (" 212 , 5550142 ", "+12125550142"),
    ("2002000000", "+12002000000"),
    ("9999999999", "+19999999999"),
])
def test_normalize_ftc_accepts(line, expected):
    assert normalize_ftc(line) == expected


@pytest.mark.parametrize(("line", "reason"), [
    ("", "blank line"),
    ("   \r\n", "blank line"),
    ("212555014", "not 10 digits (9)"),
    ("21255501421", "not 10 digits (11)"),
    ("12125550142", "not 10 digits (11)"),
    ("0125550142", "area code cannot start with 0 or 1"),
    ("1995550142", "area code cannot start with 0 or 1"),
    ("2120550142", "exchange code cannot start with 0 or 1"),
    ("2121550142", "exchange code cannot start with 0 or 1"),
    ("212,0550142", "exchange code cannot start with 0 or 1"),
    ("112,5550142", "area code cannot start with 0 or 1"),
    ("212-555-0142", "not a number (only digits allowed)"),
    ("²125550142", "not a number (only digits allowed)"),
    ("２１２5550142", "not a number (only digits allowed)"),
    ("212,555014", "expected NPA,NXXXXXX (3 digits, comma, 7 digits)"),
    ("2125,550142", "expected NPA,NXXXXXX (3 digits, comma, 7 digits)"),
    ("212,5550142,1", "expected NPA,NXXXXXX (3 digits, comma, 7 digits)"),
    ("abc,defghij", "expected NPA,NXXXXXX (3 digits, comma, 7 digits)"),
])
def test_normalize_ftc_rejects(line, reason):
    with pytest.raises(RejectedLine) as caught:
        normalize_ftc(line)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("line", "expected"), [
    ("+12125550142", "+12125550142"),
    (" +442079460958\r\n", "+442079460958"),
    ("+33123456", "+33123456"),
    ("+861234567890123", "+861234567890123"),
])
def test_normalize_e164_accepts(line, expected):
    assert normalize_e164(line) == expected


@pytest.mark.parametrize(("line", "reason"), [
    ("", "blank line"),
    ("12125550142", "must start with + (E.164)"),
    ("+1 212 555 0142", "only digits may follow the +"),
    ("+", "only digits may follow the +"),
    ("+3312345", "not 8 to 15 digits after the + (7)"),
    ("+8612345678901234", "not 8 to 15 digits after the + (16)"),
    ("+0123456789", "country code cannot start with 0"),
    ("+1212555014", "a +1 number has 10 digits after the +1 (9)"),
    ("+121255501423", "a +1 number has 10 digits after the +1 (11)"),
    ("+11125550142", "area code cannot start with 0 or 1"),
    ("+12120550142", "exchange code cannot start with 0 or 1"),
])
def test_normalize_e164_rejects(line, reason):
    with pytest.raises(RejectedLine) as caught:
        normalize_e164(line)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("line", "expected"), [
    ("02079460958", "+442079460958"),
    ("07700900123", "+447700900123"),
    ("0113496000", "+44113496000"),
    (" 02079460958\r\n", "+442079460958"),
])
def test_normalize_tps_accepts(line, expected):
    assert normalize_tps(line) == expected


@pytest.mark.parametrize(("line", "reason"), [
    ("", "blank line"),
    ("2079460958", "must start with 0 (UK national format)"),
    ("00447700900123", "starts with 00 (an international prefix, not a UK number)"),
    ("020794609", "not 10 or 11 digits (9)"),
    ("020794609581", "not 10 or 11 digits (12)"),
    ("020 7946 0958", "not a number (only digits allowed)"),
    ("+442079460958", "not a number (only digits allowed)"),
])
def test_normalize_tps_rejects(line, reason):
    with pytest.raises(RejectedLine) as caught:
        normalize_tps(line)
    assert caught.value.reason == reason


@pytest.mark.parametrize(("value", "country", "expected"), [
    ("(212) 555-0142", "", "+12125550142"),
    ("212.555.0142", "us", "+12125550142"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 20 7946 0958", "", "+442079460958"),
    ("+44 20 7946 0958", "US", "+442079460958"),
])
def test_normalize_csv_value_accepts(value, country, expected):
    assert normalize_csv_value(value, country=country) == expected


@pytest.mark.parametrize(("value", "country", "reason"), [
    ("", "", "no phone number"),
    ("hello", "", "not a phone number (not a number)"),
    ("12", "", "not a possible phone number (too short)"),
    ("212555014299999", "", "not a possible phone number (too long)"),
    ("2125550142", "ZZ", "not a phone number (unknown or missing country code)"),
])
def test_normalize_csv_value_rejects(value, country, reason):
    with pytest.raises(RejectedLine) as caught:
        normalize_csv_value(value, country=country)
    assert caught.value.reason == reason


# The streaming parser.

MIXED_FTC = "\r\n".join([
    "2125550142",  # 1
    "212,5550143",  # 2
    "",  # 3: blank, skipped without a reject
    "212555014",  # 4: bad
    "  3125550144  ",  # 5
    "0125550145",  # 6: bad
    "4155550146",  # 7: good after the bad ones, last line without a line break
]).encode()


def test_parser_reports_bad_lines_with_their_numbers_and_keeps_the_good_ones():
    rows, rejected, counts = parse(MIXED_FTC)

    assert rows == ["7\t+12125550142", "7\t+12125550143", "7\t+13125550144", "7\t+14155550146"]
    assert rejected == [(4, "not 10 digits (9)", "212555014"), (6, "area code cannot start with 0 or 1", "0125550145")]
    assert (counts.lines_read, counts.numbers_loaded, counts.lines_rejected) == (7, 4, 2)


@pytest.mark.parametrize("block_bytes", [1, 7, 16, 64])
def test_parser_gives_the_same_answer_whatever_the_block_size(monkeypatch, block_bytes):
    expected = parse(MIXED_FTC)
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", block_bytes)

    rows, rejected, counts = parse(MIXED_FTC)

    assert (rows, rejected) == expected[:2]
    assert counts == expected[2]


def _candidates(rng: random.Random, file_format: str) -> str:
    """Lines near every rule's edge, valid or not, for comparing the fast path with the line-by-line one."""
    digits = "".join(rng.choice("0123456789") for _ in range(rng.choice([7, 8, 9, 10, 11, 12, 15, 16])))
    if file_format == "ftc":
        return rng.choice([digits, digits[:3] + "," + digits[3:], rng.choice("2389") + digits[1:], " " + digits])
    if file_format == "tps":
        return rng.choice(["0" + digits, "00" + digits, digits, "07" + digits[:9]])
    return rng.choice(["+" + digits, "+1" + digits, "+1" + rng.choice("29") + digits[:9], digits])


@pytest.mark.parametrize("file_format", ["ftc", "e164", "tps"])
def test_fast_path_and_line_by_line_path_agree(monkeypatch, file_format):
    rng = random.Random(file_format)
    lines = [_candidates(rng, file_format) for _ in range(4000)]
    normalize = dnc_services.LINE_FORMATS[file_format].normalize
    expected = []
    for line in lines:
        with contextlib.suppress(RejectedLine):
            expected.append(f"7\t{normalize(line)}")
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", 40)  # about 3 lines a block: many clean ones, many not

    rows, rejected, _counts = parse("\n".join(lines).encode(), file_format)

    assert rows == expected
    assert len(rejected) == len(lines) - len(expected)


def test_a_clean_file_never_goes_line_by_line(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("went line by line")

    monkeypatch.setattr(dnc_services.LineFormat, "_rows_line_by_line", fail)

    rows, _rejected, counts = parse(b"2125550142\r\n212,5550143\r\n3125550144\n")

    assert rows == ["7\t+12125550142", "7\t+12125550143", "7\t+13125550144"]
    assert counts.numbers_loaded == 3


def test_parser_skips_a_byte_order_mark():
    rows, rejected, _counts = parse(b"\xef\xbb\xbf02079460958\n07700900123\n", "tps")

    assert rows == ["7\t+442079460958", "7\t+447700900123"]
    assert rejected == []


def test_an_overlong_line_is_cut_rejected_once_and_the_next_lines_still_count(monkeypatch):
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", 1000)
    data = b"2125550142\n" + b"9" * 50_000 + b"\n3125550143\n"

    rows, rejected, counts = parse(data)

    assert rows == ["7\t+12125550142", "7\t+13125550143"]
    assert [(line_no, reason) for line_no, reason, _content in rejected] == [(2, "not 10 digits (4096)")]
    assert len(rejected[0][2]) == dnc_services.REPORT_CONTENT_CHARS
    assert counts.lines_read == 3


def test_csv_reads_the_phone_and_country_columns_by_name():
    data = (
        b"Name,PHONE,Country\r\n"
        b"Ann,(212) 555-0142,US\r\n"
        b"Bob,020 7946 0958,GB\r\n"
        b",,\r\n"
        b"Cy,not a phone,US\r\n"
        b"Di,415-555-0199\r\n"
    )

    rows, rejected, counts = parse(data, "csv")

    assert rows == ["7\t+12125550142", "7\t+442079460958", "7\t+14155550199"]
    assert rejected == [(5, "not a phone number (not a number)", "Cy,not a phone,US")]
    assert (counts.lines_read, counts.numbers_loaded, counts.lines_rejected) == (6, 3, 1)


def test_csv_without_a_phone_column_is_refused():
    with pytest.raises(DncFileInvalid, match="'phone' column"):
        parse(b"name,number\nAnn,2125550142\n", "csv")


def test_dry_run_validation_counts_without_a_database(tmp_path):
    path = write_file(tmp_path, MIXED_FTC)

    check = dnc_file_validate(path=path, file_format="ftc")

    assert check.counts.bytes_read == check.counts.bytes_total == len(MIXED_FTC)
    assert (check.counts.numbers_loaded, check.counts.lines_rejected) == (4, 2)
    assert [r.line_no for r in check.rejections] == [4, 6]


# Lists.


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kind", "region", "stored"), [
    ("national", DncList.Kind.NATIONAL, "", "national"),
    ("Internal", DncList.Kind.INTERNAL, "", "internal"),
    ("state-TX", DncList.Kind.STATE, "TX", "state-tx"),
    ("uk-tps", DncList.Kind.UK_TPS, "", "uk-tps"),
    ("uk-ctps", DncList.Kind.UK_CTPS, "", "uk-ctps"),
])
def test_known_list_names_are_created_on_first_use(name, kind, region, stored):
    dnc_list, created = dnc_list_get_or_create(name=name)
    again, created_again = dnc_list_get_or_create(name=name.upper())

    assert (created, created_again) == (True, False)
    assert again == dnc_list
    assert (dnc_list.name, dnc_list.kind, dnc_list.region) == (stored, kind, region)


@pytest.mark.django_db
def test_unknown_list_names_are_refused_with_the_existing_lists():
    DncList.objects.create(name="partner-suppression", kind=DncList.Kind.INTERNAL)

    for name in ("nationwide", "state-XY"):
        with pytest.raises(DncListUnknown, match="existing: partner-suppression"):
            dnc_list_get_or_create(name=name)
    assert DncList.objects.count() == 1


@pytest.mark.django_db
def test_a_dry_run_does_not_create_the_list():
    dnc_list, created = dnc_list_get_or_create(name="state-ca", create=False)

    assert created and dnc_list.pk is None and dnc_list.region == "CA"
    assert not DncList.objects.exists()


# Imports.


@pytest.fixture
def national(dnc_db) -> DncList:
    return DncList.objects.create(name="national", kind=DncList.Kind.NATIONAL)


def test_full_replace_swaps_in_the_new_list(national, tmp_path):
    run_import(national, write_file(tmp_path, "2125550101\n2125550102\n", "old.txt"))

    record = run_import(national, write_file(tmp_path, "3125550201\n3125550202\n3125550203\n", "new.txt"))

    national.refresh_from_db()
    assert record.status == DncImport.Status.DONE
    assert not dnc_number_listed(national.pk, "+12125550101")
    assert dnc_number_listed(national.pk, "+13125550203")
    assert (national.version, national.entry_count, record.version_after) == (2, 3, 2)
    assert national.last_full_import_at == national.last_import_at == record.finished_at
    assert (record.lines_read, record.numbers_loaded, record.lines_rejected) == (3, 3, 0)
    assert record.bytes_read == record.bytes_total == 33
    assert not table_exists(f"compliance_dncentry_stage_{national.pk}")


def test_replacing_twice_with_the_same_file_is_stable(national, tmp_path):
    path = write_file(tmp_path, "2125550101\n2125550102\n")

    run_import(national, path)
    run_import(national, path)

    national.refresh_from_db()
    assert (national.version, national.entry_count) == (2, 2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM compliance_dncentry WHERE dnc_list_id = %s ORDER BY phone", [national.pk])
        assert cursor.fetchall() == [("+12125550101",), ("+12125550102",)]


def test_other_lists_are_untouched_by_a_replace(national, tmp_path):
    internal = DncList.objects.create(name="internal", kind=DncList.Kind.INTERNAL)
    dnc_add_numbers(dnc_list=internal, phones=["+12125550101"], source="test")

    run_import(national, write_file(tmp_path, "2125550101\n"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT dnc_list_id FROM compliance_dncentry WHERE phone = %s ORDER BY 1", ["+12125550101"])
        assert [row[0] for row in cursor.fetchall()] == sorted([internal.pk, national.pk])


def test_change_lists_add_and_remove(national, tmp_path):
    run_import(national, write_file(tmp_path, "2125550101\n2125550102\n", "full.txt"))
    full_import_at = DncList.objects.get().last_full_import_at

    added = run_import(national, write_file(tmp_path, "2125550102\n2125550103\n2125550103\nbad\n", "add.txt"),
                       mode=DncImport.Mode.ADD)
    national.refresh_from_db()
    assert (added.status, added.numbers_loaded, added.lines_rejected) == (DncImport.Status.DONE, 3, 1)
    assert (national.version, national.entry_count) == (2, 3)
    assert dnc_number_listed(national.pk, "+12125550103")

    removed = run_import(national, write_file(tmp_path, "212,5550101\n9995550199\n", "remove.txt"),
                         mode=DncImport.Mode.REMOVE)
    national.refresh_from_db()
    assert removed.status == DncImport.Status.DONE
    assert (national.version, national.entry_count) == (3, 2)
    assert not dnc_number_listed(national.pk, "+12125550101")
    assert national.last_full_import_at == full_import_at
    assert national.last_import_at == removed.finished_at


def test_a_change_list_creates_the_partition_of_a_new_list(dnc_db, tmp_path):
    state = DncList.objects.create(name="state-tx", kind=DncList.Kind.STATE, region="TX")

    run_import(state, write_file(tmp_path, "+15125550101\n"), mode=DncImport.Mode.ADD, file_format="e164")

    assert dnc_number_listed(state.pk, "+15125550101")


def test_a_crash_midway_leaves_the_previous_list(national, tmp_path, monkeypatch):
    run_import(national, write_file(tmp_path, "2125550101\n", "old.txt"))
    new_file = write_file(tmp_path, "".join(f"312555{n:04d}\n" for n in range(200)), "new.txt")
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", 110)  # 10 lines a block
    writes = []

    def crash_after_three_blocks(copy, block):
        if len(writes) == 3:
            raise OSError("disk on fire")
        writes.append(block)
        copy.write(block)

    monkeypatch.setattr(dnc_imports, "_copy_write", crash_after_three_blocks)

    record = run_import(national, new_file)

    national.refresh_from_db()
    assert record.status == DncImport.Status.FAILED
    assert record.error == "OSError: disk on fire"
    assert record.finished_at and record.lines_read >= 30
    assert (national.version, national.entry_count) == (1, 1)
    assert dnc_number_listed(national.pk, "+12125550101")
    assert not dnc_number_listed(national.pk, "+13125550000")
    assert not table_exists(f"compliance_dncentry_stage_{national.pk}")

    monkeypatch.undo()
    assert run_import(national, new_file).status == DncImport.Status.DONE
    national.refresh_from_db()
    assert (national.version, national.entry_count) == (2, 200)


def test_a_staging_table_left_by_an_older_crash_is_cleaned_up(national, tmp_path):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE compliance_dncentry_stage_{national.pk} (LIKE compliance_dncentry)")

    record = run_import(national, write_file(tmp_path, "2125550101\n"))

    assert record.status == DncImport.Status.DONE
    assert not table_exists(f"compliance_dncentry_stage_{national.pk}")


def test_a_file_with_no_valid_number_does_not_empty_the_list(national, tmp_path):
    run_import(national, write_file(tmp_path, "2125550101\n", "old.txt"))

    record = run_import(national, write_file(tmp_path, "wrong file\n\n", "new.txt"))

    national.refresh_from_db()
    assert record.status == DncImport.Status.FAILED
    assert "refusing to replace the list with an empty one" in record.error
    assert (national.version, national.entry_count) == (1, 1)


def test_a_missing_file_fails_the_import(national, tmp_path):
    path = write_file(tmp_path, "2125550101\n")
    record = dnc_import_create(dnc_list=national, path=path, mode=DncImport.Mode.REPLACE, file_format="ftc")
    path.unlink()

    record = dnc_import_run(import_id=record.pk)

    assert record.status == DncImport.Status.FAILED
    assert record.error.startswith("File not found")


def test_progress_is_visible_to_other_sessions_while_the_import_runs(national, tmp_path, monkeypatch):
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", 220)  # 20 lines a block
    monkeypatch.setattr(dnc_imports, "PROGRESS_SECONDS", 0)
    path = write_file(tmp_path, "".join(f"312555{n:04d}\n" for n in range(100)))
    seen = []
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as observer:

        def observe(counts: ImportCounts) -> None:
            seen.append(observer.execute(
                "SELECT status, bytes_read, lines_read, numbers_loaded FROM compliance_dncimport ORDER BY id DESC"
            ).fetchone())

        record = run_import(national, path, on_progress=observe)

    assert record.status == DncImport.Status.DONE
    assert {status for status, *_ in seen} == {"running"}
    assert [lines for _status, _bytes, lines, _loaded in seen][:5] == [20, 40, 60, 80, 100]
    assert seen[-1][1:] == (1100, 100, 100)


def test_a_running_import_does_not_lock_out_other_lists(national, tmp_path, monkeypatch):
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", 220)
    monkeypatch.setattr(dnc_imports, "PROGRESS_SECONDS", 0)
    internal = DncList.objects.create(name="internal", kind=DncList.Kind.INTERNAL)
    created_midway = []
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SET lock_timeout = '1s'")

        def create_another_partition(counts: ImportCounts) -> None:
            if not created_midway:
                ensure_dnc_partition(internal.pk, cursor=other.cursor())
                created_midway.append(counts.lines_read)

        record = run_import(national, write_file(tmp_path, "".join(f"312555{n:04d}\n" for n in range(100))),
                            on_progress=create_another_partition)

    assert record.status == DncImport.Status.DONE
    assert created_midway and created_midway[0] < 100
    assert table_exists(f"compliance_dncentry_p{internal.pk}")


def test_another_import_of_the_same_list_waits(national, tmp_path):
    record = dnc_import_create(dnc_list=national, path=write_file(tmp_path, "2125550101\n"),
                               mode=DncImport.Mode.REPLACE, file_format="ftc")
    key = f"compliance.dnc_import.{national.pk}"
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        with pytest.raises(DncImportBusy):
            dnc_import_run(import_id=record.pk)

    record.refresh_from_db()
    assert record.status == DncImport.Status.QUEUED
    assert dnc_import_run(import_id=record.pk).status == DncImport.Status.DONE


def test_rejected_lines_go_to_the_report_file_and_the_first_ones_to_the_row(national, tmp_path, monkeypatch):
    monkeypatch.setattr(dnc_imports, "REPORT_KEPT_LINES", 2)
    path = write_file(tmp_path, "2125550101\n1\n2\n2125550102\n\"3\",x\n")

    record = run_import(national, path)

    assert record.lines_rejected == 3
    assert record.rejected_report == "line_no,reason,content\n2,not 10 digits (1),1\n3,not 10 digits (1),2\n"
    report = rejected_report_path(record)
    assert report == tmp_path / "dnc-reports" / f"import-{record.pk}.csv"
    assert report.read_text().splitlines() == [
        "line_no,reason,content", "2,not 10 digits (1),1", "3,not 10 digits (1),2",
        '5,"expected NPA,NXXXXXX (3 digits, comma, 7 digits)","""3"",x"',
    ]


def test_a_rejected_line_that_looks_like_a_formula_is_reported_as_text(national, tmp_path):
    path = write_file(tmp_path, "2125550101\n=cmd|' /C calc'!A0\n")

    record = run_import(national, path)

    line = "2,not a number (only digits allowed),'=cmd|' /C calc'!A0"
    assert record.rejected_report.splitlines()[1] == line
    assert rejected_report_path(record).read_text().splitlines()[1] == line


def test_reports_go_to_var_dnc_reports_by_default(settings):
    del settings.DNC_REPORTS_DIR

    assert rejected_report_path(DncImport(pk=12)) == settings.BASE_DIR / "var" / "dnc-reports" / "import-12.csv"


def test_each_format_imports_end_to_end(dnc_db, tmp_path):
    uk, _ = dnc_list_get_or_create(name="uk-tps")
    internal, _ = dnc_list_get_or_create(name="internal")

    tps = run_import(uk, write_file(tmp_path, "02079460958\r\n\r\n07700900123\r\n", "tps.txt"), file_format="tps")
    csv_import = run_import(internal, write_file(tmp_path, "phone,country\n020 7946 0958,GB\n", "list.csv"),
                            file_format="csv")

    assert (tps.status, tps.numbers_loaded, tps.lines_read) == (DncImport.Status.DONE, 2, 3)
    assert dnc_number_listed(uk.pk, "+447700900123")
    assert csv_import.status == DncImport.Status.DONE
    assert dnc_number_listed(internal.pk, "+442079460958")


def test_the_celery_task_runs_a_queued_import_once(national, tmp_path):
    record = dnc_import_create(dnc_list=national, path=write_file(tmp_path, "2125550101\n"),
                               mode=DncImport.Mode.REPLACE, file_format="ftc", replace_confirmed=True)

    first = import_dnc_file_task.apply(args=[record.pk])
    redelivered = import_dnc_file_task.apply(args=[record.pk])

    record.refresh_from_db()
    national.refresh_from_db()
    assert (first.result, redelivered.result) == ("done", "done")
    assert record.started_at and record.finished_at and record.version_after == 1
    assert national.version == 1
    assert dnc_number_listed(national.pk, "+12125550101")


@pytest.mark.django_db
def test_an_import_refuses_to_run_inside_a_transaction(tmp_path):
    dnc_list, _ = dnc_list_get_or_create(name="national")
    record = dnc_import_create(dnc_list=dnc_list, path=write_file(tmp_path, "2125550101\n"),
                               mode=DncImport.Mode.REPLACE, file_format="ftc")

    with pytest.raises(RuntimeError, match="outside transaction.atomic"):
        dnc_import_run(import_id=record.pk)


def test_lookups_use_each_partition_phone_index(national, tmp_path):
    run_import(national, write_file(tmp_path, "2125550101\n"))
    ensure_dnc_partition(DncList.objects.create(name="internal", kind=DncList.Kind.INTERNAL).pk)

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT dnc_list_id FROM compliance_dncentry WHERE phone = %s", ["+12125550101"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")

    assert f"compliance_dncentry_p{national.pk}_phone" in plan
    assert "Seq Scan" not in plan


# Small changes by people.


@pytest.mark.django_db
def test_numbers_added_and_removed_by_hand_bump_the_version_and_are_recorded():
    dnc_list, _ = dnc_list_get_or_create(name="internal")

    added = dnc_add_numbers(dnc_list=dnc_list, phones=["+12125550101", "+12125550102", "+12125550101"],
                            source="agent maya: customer asked")
    added_again = dnc_add_numbers(dnc_list=dnc_list, phones=["+12125550102"], source="agent sam")
    removed = dnc_remove_numbers(dnc_list=dnc_list, phones=["+12125550101", "+19995550100"], source="supervisor")

    assert (added, added_again, removed) == (2, 0, 1)
    assert (dnc_list.version, dnc_list.entry_count) == (3, 1)
    assert dnc_number_listed(dnc_list.pk, "+12125550102")
    assert not dnc_number_listed(dnc_list.pk, "+12125550101")
    changes = list(DncImport.objects.order_by("pk").values_list("mode", "file_format", "file_name", "numbers_loaded"))
    assert changes == [("add", "manual", "agent maya: customer asked", 2), ("add", "manual", "agent sam", 0),
                       ("remove", "manual", "supervisor", 1)]


@pytest.mark.django_db
def test_a_number_added_by_hand_must_be_e164():
    dnc_list, _ = dnc_list_get_or_create(name="internal")

    with pytest.raises(DncNumberInvalid, match="not an E.164 phone number: must start with"):
        dnc_add_numbers(dnc_list=dnc_list, phones=["+12125550101", "2125550102"], source="agent")

    dnc_list.refresh_from_db()
    assert (dnc_list.version, dnc_list.entry_count) == (0, 0)
    assert not DncImport.objects.exists()


# Files that are not text: UTF-16 and binary files end the import as failed, with the line of the first NUL.

UTF16_FILE = "2125550101\n2125550102\n".encode("utf-16")  # with its byte order mark, as Windows tools write it
BINARY_FILE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.mark.parametrize(("data", "file_format", "message"), [
    (UTF16_FILE, "ftc", "Not a text file: NUL byte on line 1 (the file is UTF-16: save it as UTF-8 or plain text)."),
    ("phone\n2125550101\n".encode("utf-16-le"), "csv", "Not a text file: NUL byte on line 1."),
    (BINARY_FILE, "e164", "Not a text file: NUL byte on line 3."),
    (b"2125550101\n2125550102\n212555\x000103\n", "ftc", "Not a text file: NUL byte on line 3."),
], ids=["utf-16", "utf-16-csv", "binary", "one-nul"])
def test_a_nul_byte_stops_the_parser_naming_its_line(data, file_format, message):
    with pytest.raises(DncFileInvalid) as raised:
        parse(data, file_format)

    assert raised.value.message == message


def test_a_nul_is_never_written_into_a_rejected_line():
    assert dnc_formats._shown(b"12\x0034\n") == "12\\x0034"


@pytest.mark.parametrize("data", [UTF16_FILE, BINARY_FILE], ids=["utf-16", "binary"])
def test_a_file_that_is_not_text_fails_the_import_and_leaves_the_list(national, tmp_path, data):
    run_import(national, write_file(tmp_path, "3125550201\n3125550202\n", "old.txt"))

    record = dnc_import_create(dnc_list=national, path=write_file(tmp_path, data, "registry.txt"),
                               mode=DncImport.Mode.REPLACE, file_format="ftc", replace_confirmed=True)

    assert import_dnc_file_task.apply(args=[record.pk]).result == DncImport.Status.FAILED

    record.refresh_from_db()
    national.refresh_from_db()
    assert record.status == DncImport.Status.FAILED and record.finished_at is not None
    assert record.error.startswith("Not a text file: NUL byte on line")
    assert "\x00" not in record.rejected_report
    assert (national.version, national.entry_count) == (1, 2)
    assert dnc_number_listed(national.pk, "+13125550201")


def test_recording_a_failure_survives_a_report_postgres_cannot_store(national, tmp_path, monkeypatch):
    """The report is another helper's to write; whatever it holds, the import must not stay "running"."""
    monkeypatch.setattr(dnc_imports._RejectReport, "text", lambda self: "line_no,reason,content\n1,bad,\x00\n")

    record = run_import(national, write_file(tmp_path, "2125550101\nnot-a-number\n"), mode=DncImport.Mode.ADD)

    record.refresh_from_db()
    assert record.status == DncImport.Status.FAILED and record.finished_at is not None
    assert record.rejected_report == ""


# A full replace that shrinks a list.


def replace_numbers(count: int, start: int = 0) -> str:
    return "".join(f"212555{n:04d}\n" for n in range(start, start + count))


def test_a_replace_removing_more_than_a_fifth_of_the_list_is_refused(national, tmp_path):
    run_import(national, write_file(tmp_path, replace_numbers(35), "full.txt"))

    record = run_import(national, write_file(tmp_path, replace_numbers(2), "test.txt"))

    national.refresh_from_db()
    assert record.status == DncImport.Status.FAILED
    assert (record.count_before, record.count_after) == (35, 2)
    assert record.error == ("Refused: this file would leave the list with 2 numbers instead of 35, removing 94% of it "
                            "(more than 20% needs a confirmation). Nothing was changed.")
    assert (national.version, national.entry_count) == (1, 35)
    assert dnc_number_listed(national.pk, "+12125550034")
    assert not table_exists(f"compliance_dncentry_stage_{national.pk}")


@pytest.mark.parametrize(("after", "refused"), [(28, False), (27, True)])
def test_the_shrink_limit_is_twenty_percent(national, tmp_path, after, refused):
    run_import(national, write_file(tmp_path, replace_numbers(35), "full.txt"))

    record = run_import(national, write_file(tmp_path, replace_numbers(after), "next.txt"))

    assert (record.status == DncImport.Status.FAILED) is refused


def test_a_confirmed_replace_may_shrink_the_list_and_records_both_counts(national, tmp_path):
    run_import(national, write_file(tmp_path, replace_numbers(35), "full.txt"))

    record = dnc_import_run(import_id=dnc_import_create(
        dnc_list=national, path=write_file(tmp_path, replace_numbers(2), "small.txt"), mode=DncImport.Mode.REPLACE,
        file_format="ftc", replace_confirmed=True).pk)

    national.refresh_from_db()
    assert record.status == DncImport.Status.DONE
    assert (record.count_before, record.count_after, national.entry_count) == (35, 2, 2)


def test_every_replace_goes_into_the_audit_trail_with_both_counts(national, tmp_path):
    seen = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).last() or 0  # the trail outlives tests

    run_import(national, write_file(tmp_path, replace_numbers(3), "first.txt"))
    run_import(national, write_file(tmp_path, replace_numbers(1), "refused.txt"))

    events = AuditEvent.objects.filter(pk__gt=seen, subject_type="DNC list", action="imported").order_by("pk")
    assert [(e.summary.split(" (import")[0], e.changes) for e in events] == [
        ("Replaced the list national from first.txt", {"entry_count": ["0", "3"]}),
        ("Refused to replace the list national from refused.txt", {"entry_count (not applied)": ["3", "1"]}),
    ]
    assert events[0].summary.endswith("0 numbers before, 3 after") and events[0].actor_name == "system:import_dnc"


# Uploads: a full list is previewed first; the uploaded file goes once the import ends.


def upload_record(dnc_list: DncList, data: str | bytes, mode: str = DncImport.Mode.REPLACE) -> DncImport:
    path = write_file(dnc_services.upload_dir(), data, f"{random.randrange(10**9)}-upload.txt")
    return dnc_import_create(dnc_list=dnc_list, path=path, mode=mode, file_format="ftc")


def test_an_uploaded_full_list_is_counted_and_waits_for_a_confirmation(national, tmp_path):
    run_import(national, write_file(tmp_path, replace_numbers(35), "full.txt"))
    record = upload_record(national, replace_numbers(2))

    status = import_dnc_file_task.apply(args=[record.pk]).result

    record.refresh_from_db()
    national.refresh_from_db()
    assert status == DncImport.Status.AWAITING_CONFIRMATION
    assert (record.count_before, record.count_after, record.numbers_loaded) == (35, 2, 2)
    assert (national.version, national.entry_count) == (1, 35)
    assert Path(record.file_path).is_file()  # kept for the confirmed run


@pytest.mark.parametrize(("mode", "data", "status"), [
    (DncImport.Mode.ADD, "2125550101\n", DncImport.Status.DONE),
    (DncImport.Mode.ADD, UTF16_FILE, DncImport.Status.FAILED),
    (DncImport.Mode.REPLACE, BINARY_FILE, DncImport.Status.FAILED),  # in its preview
], ids=["done", "failed", "failed-preview"])
def test_an_uploaded_file_is_deleted_once_its_import_ends(national, mode, data, status):
    record = upload_record(national, data, mode)

    import_dnc_file_task.apply(args=[record.pk])

    record.refresh_from_db()
    assert record.status == status
    assert not Path(record.file_path).exists()


def test_a_file_given_to_the_command_is_never_deleted(national, tmp_path):
    path = write_file(tmp_path, "2125550101\n")

    run_import(national, path)

    assert path.is_file()


# Imports whose worker died.


def stalled_import(dnc_list: DncList, minutes: int, data: str = "2125550101\n") -> DncImport:
    record = upload_record(dnc_list, data)
    at = timezone.now() - timedelta(minutes=minutes)
    DncImport.objects.filter(pk=record.pk).update(status=DncImport.Status.RUNNING, started_at=at, heartbeat_at=at)
    return record


def test_a_running_import_beats_as_it_progresses(national, tmp_path, monkeypatch):
    monkeypatch.setattr(dnc_imports, "PROGRESS_SECONDS", 0)
    monkeypatch.setattr(dnc_formats, "READ_BLOCK_BYTES", 11)
    beats = []

    def seen(counts: ImportCounts) -> None:  # called right after each progress save
        beats.append(DncImport.objects.values_list("heartbeat_at", flat=True).get(file_name="list.txt"))

    record = run_import(national, write_file(tmp_path, replace_numbers(5)), on_progress=seen)

    assert len(beats) >= 5 and None not in beats and beats == sorted(beats) and len(set(beats)) > 1
    assert record.heartbeat_at >= beats[-1] >= record.started_at


def test_the_sweep_fails_an_import_whose_heartbeat_stopped(national, tmp_path):
    run_import(national, write_file(tmp_path, replace_numbers(3), "full.txt"))
    stalled = stalled_import(national, minutes=6)
    alive = stalled_import(DncList.objects.create(name="internal", kind=DncList.Kind.INTERNAL), minutes=1)

    failed = dnc_services.dnc_imports_fail_stalled()

    stalled.refresh_from_db()
    alive.refresh_from_db()
    national.refresh_from_db()
    assert failed == [stalled.pk]
    assert stalled.status == DncImport.Status.FAILED and stalled.finished_at is not None
    since = timezone.localtime(stalled.heartbeat_at)
    assert stalled.error == (f"The import's worker stopped (no progress since {since:%H:%M}); nothing was changed, "
                             "upload the file again.")
    assert not Path(stalled.file_path).exists()
    assert alive.status == DncImport.Status.RUNNING
    assert (national.version, national.entry_count) == (1, 3)  # the interrupted replace never swapped


def test_the_sweep_leaves_an_import_whose_list_a_live_run_still_holds(national):
    stalled = stalled_import(national, minutes=30)
    key = dnc_imports.list_lock_key(national.pk)
    with dnc_imports._import_connection() as pg:
        pg.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])

        assert dnc_services.dnc_imports_fail_stalled() == []
        # Released here, not by closing the connection: the server frees a closed session's locks a moment later.
        pg.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])

    assert dnc_services.dnc_imports_fail_stalled() == [stalled.pk]


def test_the_sweep_runs_every_minute_from_the_beat_schedule(settings):
    entry = next(entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
                 if entry["task"] == "compliance.tasks.fail_stalled_dnc_imports_task")
    assert entry["schedule"] == 60.0
    assert fail_stalled_dnc_imports_task.name == entry["task"]
