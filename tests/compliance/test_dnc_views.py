"""Admins upload DNC files; a worker imports them; the page shows progress and rejected lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import AuditEvent, DncImport, DncList

pytestmark = pytest.mark.django_db(transaction=True)

FTC_FILE = b"2125550111\n2125550112\nnot-a-number\n415,5550113\n0125550114\n"


def upload(client, content: bytes = FTC_FILE, **fields):
    data = {"list_name": "national", "mode": "replace", "file_format": "ftc",
            "file": SimpleUploadedFile("national.txt", content, content_type="text/plain"), **fields}
    return client.post("/compliance/dnc/", data)


def test_admin_upload_is_imported_in_the_background_with_a_rejected_lines_report(client, admin_user,
                                                                                 django_capture_on_commit_callbacks):
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)

    record = DncImport.objects.get()
    assert response.status_code == 302
    assert response.url == f"/compliance/dnc/imports/{record.pk}/"
    record.refresh_from_db()
    assert record.status == DncImport.Status.AWAITING_CONFIRMATION  # a full list: counted, then confirmed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/compliance/dnc/imports/{record.pk}/confirm/")
    record.refresh_from_db()
    assert record.status == DncImport.Status.DONE
    assert (record.numbers_loaded, record.lines_rejected) == (3, 2)
    national = DncList.objects.get(name="national")
    assert national.last_full_import_at is not None

    page = client.get(response.url)
    fragment = client.get(response.url, HTTP_HX_REQUEST="true")
    report = client.get(f"/compliance/dnc/imports/{record.pk}/rejected.csv")

    assert page.status_code == 200 and b"Numbers loaded" in page.content
    assert b"<html" not in fragment.content
    assert b'hx-trigger="every 1s"' not in fragment.content  # finished: stops polling
    rows = b"".join(report.streaming_content).decode().splitlines()
    assert [row.split(",")[0] for row in rows if row[:1].isdigit()] == ["3", "5"]


@pytest.mark.django_db  # inside a test transaction on_commit never runs: the import stays queued
def test_a_queued_import_polls_itself(client, admin_user):
    client.force_login(admin_user)
    upload(client)

    record = DncImport.objects.get()
    fragment = client.get(f"/compliance/dnc/imports/{record.pk}/", HTTP_HX_REQUEST="true")

    assert record.status == DncImport.Status.QUEUED
    assert b'hx-trigger="every 1s"' in fragment.content


def test_unknown_list_name_is_a_form_error(client, admin_user):
    client.force_login(admin_user)

    response = upload(client, list_name="mystery")

    assert response.status_code == 200
    assert b"No DNC list called" in response.content
    assert DncImport.objects.count() == 0


@pytest.mark.parametrize(("user_fixture", "status"), [("supervisor_user", 403), ("agent_user", 403)])
def test_only_admins_manage_dnc_lists(client, request, user_fixture, status):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get("/compliance/dnc/").status_code == status


def test_anonymous_is_sent_to_login(client):
    assert client.get("/compliance/dnc/").url.startswith("/login/")


def test_the_upload_form_defaults_to_additions_to_the_internal_list(client, admin_user):
    client.force_login(admin_user)

    form = client.get("/compliance/dnc/").context["form"]

    assert (form["list_name"].value(), form["mode"].value()) == ("internal", "add")
    assert [value for value, _ in form.fields["mode"].choices][0] == "add"


def numbers(count: int) -> bytes:
    return "".join(f"212555{n:04d}\n" for n in range(count)).encode()


@pytest.fixture
def national_of_35(client, admin_user, django_capture_on_commit_callbacks):
    """The national list with 35 numbers, uploaded and confirmed by an admin."""
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, numbers(35))
    first = DncImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/compliance/dnc/imports/{first.pk}/confirm/")
    return DncList.objects.get(name="national")


def upload_shrinking_replace(client, capture) -> DncImport:
    with capture(execute=True):
        upload(client, numbers(9), file=SimpleUploadedFile("test.txt", numbers(9)))
    return DncImport.objects.get(file_name="test.txt")


def test_a_shrinking_full_list_shows_both_sizes_and_waits_for_a_confirmation(client, national_of_35,
                                                                            django_capture_on_commit_callbacks):
    record = upload_shrinking_replace(client, django_capture_on_commit_callbacks)

    page = client.get(f"/compliance/dnc/imports/{record.pk}/").content.decode()
    national_of_35.refresh_from_db()
    assert record.status == DncImport.Status.AWAITING_CONFIRMATION
    assert (record.count_before, record.count_after) == (35, 9)
    assert "has <strong>35</strong> numbers now; this file would leave <strong>9</strong>" in page
    assert "This removes 74% of the list: 26 numbers would become callable again." in page
    assert 'hx-trigger="every 1s"' not in page  # waits for the admin, not for the worker
    assert national_of_35.entry_count == 35


def test_cancelling_a_full_list_keeps_the_list_and_deletes_the_file(client, admin_user, national_of_35,
                                                                    django_capture_on_commit_callbacks):
    record = upload_shrinking_replace(client, django_capture_on_commit_callbacks)
    seen = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).last()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/compliance/dnc/imports/{record.pk}/cancel/")

    record.refresh_from_db()
    national_of_35.refresh_from_db()
    assert response.status_code == 302 and response.url == f"/compliance/dnc/imports/{record.pk}/"
    assert record.status == DncImport.Status.CANCELLED and record.finished_at is not None
    assert (national_of_35.version, national_of_35.entry_count) == (1, 35)
    assert not Path(record.file_path).exists()
    event = AuditEvent.objects.get(pk__gt=seen, subject_type="DNC import")
    assert event.actor_name == admin_user.username and event.changes["status"] == ["confirm", "cancelled"]


def test_confirming_a_full_list_replaces_and_records_both_counts(client, admin_user, national_of_35,
                                                                 django_capture_on_commit_callbacks):
    record = upload_shrinking_replace(client, django_capture_on_commit_callbacks)
    seen = AuditEvent.objects.order_by("pk").values_list("pk", flat=True).last()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/compliance/dnc/imports/{record.pk}/confirm/")

    record.refresh_from_db()
    national_of_35.refresh_from_db()
    assert record.status == DncImport.Status.DONE and record.replace_confirmed
    assert (record.count_before, record.count_after, national_of_35.entry_count) == (35, 9, 9)
    assert not Path(record.file_path).exists()
    assert "35 before · 9 after" in client.get(f"/compliance/dnc/imports/{record.pk}/").content.decode()
    assert "35 → 9" in client.get("/compliance/dnc/").content.decode()
    replaced = AuditEvent.objects.get(pk__gt=seen, subject_type="DNC list", action="imported")
    assert replaced.actor_name == admin_user.username and replaced.changes == {"entry_count": ["35", "9"]}


def test_an_import_awaiting_nothing_cannot_be_confirmed_again(client, national_of_35):
    record = DncImport.objects.get()

    response = client.post(f"/compliance/dnc/imports/{record.pk}/confirm/", follow=True)

    assert b"This import is not waiting for a confirmation" in response.content


@pytest.mark.parametrize(("content", "mode"), [
    ("2125550101\n".encode("utf-16"), "add"), (b"\x00\x01binary" * 20, "replace"),
], ids=["utf-16-additions", "binary-full-list"])
def test_an_upload_that_is_not_text_fails_with_a_clear_message(client, admin_user, content, mode,
                                                               django_capture_on_commit_callbacks):
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, content, mode=mode)

    record = DncImport.objects.get()
    page = client.get(response.url).content.decode()
    assert record.status == DncImport.Status.FAILED
    assert record.error.startswith("Not a text file: NUL byte on line 1")
    assert "Not a text file: NUL byte on line 1" in page and 'hx-trigger="every 1s"' not in page
    assert not Path(record.file_path).exists()
