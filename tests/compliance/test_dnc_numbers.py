"""Small DNC additions through django-import-export: preview with per-row errors, then apply."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import DncImport, DncList
from compliance.services.dnc import dnc_add_numbers, dnc_number_listed

pytestmark = pytest.mark.django_db

PASTED = "(212) 555-0177\nnot a number\n+1 415 555 0123\n"


@pytest.fixture
def internal(db):
    dnc_list = DncList.objects.create(name="internal", kind="internal")
    dnc_add_numbers(dnc_list=dnc_list, phones=["+14155550123"], source="test")
    return dnc_list


def test_preview_reports_each_row_and_adds_nothing(client, admin_user, internal):
    client.force_login(admin_user)

    response = client.post("/compliance/dnc/numbers/", {"list_name": "internal", "numbers": PASTED})

    body = response.content.decode()
    assert response.status_code == 200
    assert "1 to add, 1 already listed, 1 with errors" in body
    assert "not a number" in body
    assert not dnc_number_listed(internal.pk, "+12125550177")


def test_confirm_adds_the_valid_rows_and_bumps_the_version(client, admin_user, internal):
    client.force_login(admin_user)

    response = client.post("/compliance/dnc/numbers/",
                           {"list_name": "internal", "numbers": PASTED, "confirm": "1"}, follow=True)

    assert b"Added 1 numbers; 1 were already listed, 1 rows with errors were left out." in response.content
    assert dnc_number_listed(internal.pk, "+12125550177")
    internal.refresh_from_db()
    assert internal.version == 2
    assert DncImport.objects.filter(dnc_list=internal, file_name__contains="admin import by admin").exists()


def test_csv_upload_with_a_list_column(client, admin_user, internal):
    DncList.objects.create(name="state-tx", kind="state", region="TX")
    client.force_login(admin_user)
    csv = b"phone,list\n5125550100,state-tx\n2125550178,unknown-list\n"

    response = client.post("/compliance/dnc/numbers/", {
        "list_name": "internal", "file": SimpleUploadedFile("numbers.csv", csv, content_type="text/csv")})

    body = response.content.decode()
    assert "1 to add, 0 already listed, 1 with errors" in body
    assert "No DNC list called" in body


def test_supervisors_cannot_add_numbers(client, supervisor_user):
    client.force_login(supervisor_user)

    assert client.get("/compliance/dnc/numbers/").status_code == 403
