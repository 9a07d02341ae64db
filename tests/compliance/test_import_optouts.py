from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from compliance.models import OptOut

pytestmark = pytest.mark.django_db


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_optouts", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_with_phone_and_email_columns(tmp_path):
    path = tmp_path / "suppressions.csv"
    path.write_text(
        "phone,email\n(212) 555-0100,\n,pat@example.com\nnot a phone,\n,\n+442079460958,amy@example.co.uk\n"
    )

    out, err = run(path, "--scope", "all", "--evidence", "Old CRM suppression list")

    assert "3 opt-outs recorded (all); 1 lines rejected." in out
    assert "line 4:" in err
    assert set(OptOut.objects.values_list("phone", "email")) == {
        ("+12125550100", ""), ("", "pat@example.com"), ("+442079460958", "amy@example.co.uk")}
    assert set(OptOut.objects.values_list("source", "scope", "evidence").distinct()) == {
        ("import", "all", "Old CRM suppression list")}


def test_plain_list_and_dry_run(tmp_path):
    path = tmp_path / "stops.txt"
    path.write_text("2125550101\nsam@example.com\n")

    out, _ = run(path, "--scope", "sms", "--dry-run")

    assert "2 opt-outs would be recorded (sms)" in out
    assert OptOut.objects.count() == 0
