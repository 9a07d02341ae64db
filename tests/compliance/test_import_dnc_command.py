"""`manage.py import_dnc`: options, output at each verbosity, lists created on first use, failures.

The imports commit on their own connection, so these tests commit for real (`dnc_db`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from compliance.models import DncImport, DncList
from compliance.services.dnc import dnc_imports_fail_stalled, dnc_number_listed
from compliance.services.dnc.lifecycle import STALLED_AFTER

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def registry_file(tmp_path) -> Path:
    path = tmp_path / "national.txt"
    path.write_text("2125550101\n212,5550102\n\n21255501\n3125550103\n")
    return path


def import_dnc(*args: str, **options) -> str:
    out = StringIO()
    call_command("import_dnc", *args, stdout=out, **options)
    return out.getvalue()


def test_replace_creates_the_national_list_and_prints_progress_and_rejections(dnc_db, registry_file, tmp_path):
    output = import_dnc(str(registry_file), "--list", "national", "--replace")

    national = DncList.objects.get(name="national")
    record = DncImport.objects.get()
    assert national.kind == DncList.Kind.NATIONAL
    assert (national.version, national.entry_count) == (1, 3)
    assert dnc_number_listed(national.pk, "+13125550103")
    assert "List national (National registry (US)) created." in output
    assert "100%  5 lines read, 3 numbers, 1 rejected" in output
    assert "1 lines rejected" in output
    assert "line 4: not 10 digits (8): '21255501'" in output
    assert str(tmp_path / "dnc-reports" / f"import-{record.pk}.csv") in output
    assert "Imported 3 numbers from 5 lines" in output
    assert "national is now version 1 with 3 entries." in output


def test_a_change_list_adds_to_an_existing_list(dnc_db, tmp_path):
    path = tmp_path / "additions.txt"
    path.write_text("+12125550101\n+442079460958\n")

    import_dnc(str(path), "--list", "internal", "--delta", "add", "--format", "e164", verbosity=0)
    path.write_text("+12125550101\n")
    import_dnc(str(path), "--list", "internal", "--delta", "remove", "--format", "e164", verbosity=0)

    internal = DncList.objects.get(name="internal")
    assert (internal.kind, internal.version, internal.entry_count) == (DncList.Kind.INTERNAL, 2, 1)
    assert dnc_number_listed(internal.pk, "+442079460958")
    assert list(DncImport.objects.order_by("pk").values_list("mode", flat=True)) == ["add", "remove"]


def test_state_lists_are_created_with_their_region(dnc_db, registry_file):
    import_dnc(str(registry_file), "--list", "state-TX", "--replace", verbosity=0)

    assert DncList.objects.filter(name="state-tx", kind=DncList.Kind.STATE, region="TX").exists()


def test_uk_lists_default_to_the_tps_format(dnc_db, tmp_path):
    path = tmp_path / "tps.txt"
    path.write_text("02079460958\n07700900123\n")

    import_dnc(str(path), "--list", "uk-tps", "--replace", verbosity=0)

    record = DncImport.objects.get()
    assert (record.file_format, record.numbers_loaded) == ("tps", 2)


def test_verbosity_0_prints_nothing(dnc_db, registry_file):
    assert import_dnc(str(registry_file), "--list", "national", "--replace", verbosity=0) == ""
    assert DncList.objects.get().entry_count == 3


@pytest.mark.django_db
def test_dry_run_reports_and_changes_nothing(registry_file):
    output = import_dnc(str(registry_file), "--list", "national", "--replace", "--dry-run")

    assert "List national (National registry (US)) would be created." in output
    assert "line 4: not 10 digits (8)" in output
    assert "Dry run (ftc): 5 lines, 3 numbers would be imported, 1 lines rejected. Nothing was changed." in output
    assert not DncList.objects.exists()
    assert not DncImport.objects.exists()


@pytest.mark.django_db
def test_dry_run_of_an_unreadable_csv_is_a_command_error(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("name,number\nAnn,2125550142\n")

    with pytest.raises(CommandError, match="'phone' column"):
        import_dnc(str(path), "--list", "internal", "--format", "csv", "--delta", "add", "--dry-run")


@pytest.mark.django_db
@pytest.mark.parametrize(("options", "message"), [
    ([], "Say what the file is: --replace for a full list, --delta add|remove for a change list."),
    (["--replace", "--delta", "add"], "--replace and --delta exclude each other"),
    (["--delta", "append"], "invalid choice: 'append'"),
    (["--replace", "--format", "xlsx"], "invalid choice: 'xlsx'"),
])
def test_bad_option_combinations_are_refused(registry_file, options, message):
    with pytest.raises(CommandError, match=message.replace("|", r"\|")):
        import_dnc(str(registry_file), "--list", "national", *options)
    assert not DncImport.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        import_dnc(str(tmp_path / "nope.txt"), "--list", "national", "--replace")


@pytest.mark.django_db
def test_an_unknown_list_is_refused_with_the_existing_lists(registry_file):
    DncList.objects.create(name="partner-suppression", kind=DncList.Kind.INTERNAL)

    with pytest.raises(CommandError, match=r"No DNC list called 'natonal' \(existing: partner-suppression\)"):
        import_dnc(str(registry_file), "--list", "natonal", "--replace")
    assert DncList.objects.count() == 1


def test_a_failed_import_is_a_command_error_and_leaves_the_list(dnc_db, registry_file, tmp_path):
    import_dnc(str(registry_file), "--list", "national", "--replace", verbosity=0)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("this is not a registry file\n")

    with pytest.raises(CommandError, match=r"failed: No valid number in the file.*unchanged \(version 1\)"):
        import_dnc(str(wrong), "--list", "national", "--replace")

    national = DncList.objects.get()
    assert (national.version, national.entry_count) == (1, 3)
    assert DncImport.objects.order_by("-pk").first().status == DncImport.Status.FAILED


def _subprocess_environment(tmp_path: Path) -> dict[str, str]:
    """The command in a child process: on this test database (the settings read DATABASE_URL), writing its
    report under tmp_path (a settings module there, on the child's path)."""
    (tmp_path / "child_settings.py").write_text(
        f"from config.settings.test import *  # noqa\nDNC_REPORTS_DIR = {str(tmp_path / 'dnc-reports')!r}\n"
    )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:9/0",
            "DJANGO_SETTINGS_MODULE": "child_settings", "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO_ROOT}"}


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _import_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dnc_import'")
        return cursor.fetchone()[0]


def test_a_killed_import_leaves_the_previous_list_and_nothing_behind(dnc_db, registry_file, tmp_path):
    # given a list, and a big file whose import is killed (SIGKILL: no clean-up code runs) while it copies
    import_dnc(str(registry_file), "--list", "national", "--replace", verbosity=0)
    national = DncList.objects.get()
    big = tmp_path / "big.txt"
    big.write_text("".join(f"{2_122_000_000 + n}\n" for n in range(2_000_000)))
    child = subprocess.Popen([sys.executable, "manage.py", "import_dnc", str(big), "--list", "national", "--replace"],
                             cwd=REPO_ROOT, env=_subprocess_environment(tmp_path), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: DncImport.objects.filter(status="running", bytes_read__gt=0).exists())
    finally:
        child.kill()
        child.wait()
    killed = DncImport.objects.get(status="running")

    # then the list is as it was, and no staging table is left
    national.refresh_from_db()
    assert (national.version, national.entry_count) == (1, 3)
    assert dnc_number_listed(national.pk, "+13125550103")
    assert not dnc_number_listed(national.pk, "+12122000000")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f"compliance_dncentry_stage_{national.pk}"])
        assert cursor.fetchone()[0] is None

    # and once the server has ended the dead session (and its lock), the sweep fails the import whose heartbeat
    # stopped, so it does not show "running" for ever, and the next import runs
    _wait_for(lambda: not _import_sessions())
    killed.refresh_from_db()
    assert dnc_imports_fail_stalled(now=killed.heartbeat_at + STALLED_AFTER - timedelta(seconds=1)) == []
    assert dnc_imports_fail_stalled(now=killed.heartbeat_at + STALLED_AFTER + timedelta(seconds=1)) == [killed.pk]
    killed.refresh_from_db()
    assert killed.status == DncImport.Status.FAILED and killed.error.startswith("The import's worker stopped")
    import_dnc(str(registry_file), "--list", "national", "--replace", verbosity=0)
    national.refresh_from_db()
    assert national.version == 2
    assert (tmp_path / "dnc-reports" / f"import-{killed.pk}.csv").exists()  # not in the repository's var/


def numbers_file(tmp_path: Path, count: int, name: str) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"212555{n:04d}\n" for n in range(count)))
    return path


def test_a_replace_that_removes_over_a_fifth_of_the_list_is_refused_naming_the_counts_and_the_flag(dnc_db, tmp_path):
    import_dnc(str(numbers_file(tmp_path, 35, "full.txt")), "--list", "national", "--replace", verbosity=0)

    with pytest.raises(CommandError) as raised:
        import_dnc(str(numbers_file(tmp_path, 9, "test.txt")), "--list", "national", "--replace", verbosity=0)

    national = DncList.objects.get(name="national")
    record = DncImport.objects.get(file_name="test.txt")
    assert str(raised.value) == (
        f"Import #{record.pk} refused: the file would leave national with 9 numbers instead of 35 (removes 74%, more "
        "than 20%). The list is unchanged (version 1); run again with --allow-shrink if the file really is the whole "
        "list.")
    assert (record.status, record.count_before, record.count_after) == (DncImport.Status.FAILED, 35, 9)
    assert (national.version, national.entry_count) == (1, 35)


def test_allow_shrink_applies_the_replace_and_reports_both_counts(dnc_db, tmp_path):
    import_dnc(str(numbers_file(tmp_path, 35, "full.txt")), "--list", "national", "--replace", verbosity=0)

    output = import_dnc(str(numbers_file(tmp_path, 9, "small.txt")), "--list", "national", "--replace",
                        "--allow-shrink")

    national = DncList.objects.get(name="national")
    assert national.entry_count == 9
    assert "Full replace: 35 numbers before, 9 after." in output


def test_a_dry_run_of_a_replace_shows_the_list_size_before_and_after(dnc_db, tmp_path):
    import_dnc(str(numbers_file(tmp_path, 35, "full.txt")), "--list", "national", "--replace", verbosity=0)

    output = import_dnc(str(numbers_file(tmp_path, 2, "test.txt")), "--list", "national", "--replace", "--dry-run")

    assert ("The list national has 35 numbers; this file would leave 2. It removes 94% of the list: the import would "
            "need --allow-shrink.") in output
    assert DncList.objects.get(name="national").entry_count == 35


@pytest.mark.parametrize("content", [
    "2125550101\n2125550102\n".encode("utf-16"), b"\x00\x01\x02binary\xff" * 50,
], ids=["utf-16", "binary"])
@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_file_that_is_not_text_is_a_command_error_naming_the_nul(dnc_db, tmp_path, content, dry_run):
    path = tmp_path / "registry.txt"
    path.write_bytes(content)

    with pytest.raises(CommandError, match="Not a text file: NUL byte on line 1"):
        import_dnc(str(path), "--list", "internal", "--delta", "add", *(["--dry-run"] if dry_run else []),
                   verbosity=0)

    assert DncImport.objects.filter(status=DncImport.Status.RUNNING).count() == 0
    assert path.is_file()  # the operator's own file stays
