"""Admins upload DNC files; a worker imports them; the page shows progress and rejected lines."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import DncImport, DncList

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
