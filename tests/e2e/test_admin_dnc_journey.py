"""An admin uploads a DNC file, watches the import finish, then searches the gate's audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from compliance.models import DncImport
from tests.e2e.conftest import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")


def test_admin_uploads_a_registry_file_and_sees_it_imported(page, tmp_path):
    call_command("seed_demo", verbosity=0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    registry = tmp_path / "national-2026-11.txt"
    registry.write_text("2025550180\n2025550181\nnot-a-number\n312,5550182\n")
    login(page, "admin", "demo-admin")

    page.click("nav >> text=DNC lists")
    page.wait_for_selector("text=Upload a list")
    page.fill("input[name=list_name]", "national")
    page.select_option("select[name=mode]", "replace")
    page.set_input_files("input[name=file]", str(registry))
    page.click("text=Upload and import")

    # the import runs in the (eager) worker; the page shows its outcome and the rejected line
    page.wait_for_selector("text=Rejected lines")
    page.wait_for_selector("text=download the report")
    record = DncImport.objects.filter(file_name="national-2026-11.txt").get()
    assert record.status == "done" and record.numbers_loaded == 3 and record.lines_rejected == 1
    page.screenshot(path=SCREENSHOTS / "dnc-import.png", full_page=True)

    page.click("text=← Do-Not-Call lists")
    page.wait_for_selector(f"#dnc-list-{record.dnc_list_id}")
    page.screenshot(path=SCREENSHOTS / "dnc-lists.png", full_page=True)


def test_supervisor_searches_the_audit_log(page):
    call_command("seed_demo", verbosity=0)
    from compliance.services import check_contact
    from recovery.models import Cart

    cart = Cart.objects.filter(status="open").exclude(customer__phone="").select_related("customer", "store").first()
    check_contact(channel="sms", store=cart.store, phone=str(cart.customer.phone), requester="e2e")
    login(page, "supervisor", "demo-supervisor")

    page.click("nav >> text=Compliance")
    page.wait_for_selector("#decision-table")
    page.fill("input[name=q]", str(cart.customer.phone))
    wait_until(page, "location.search.includes('q=')")  # the search is in the address bar (hx-push-url)
    rows = page.locator("#decision-table tbody tr")
    assert rows.count() == 1
    assert str(cart.customer.phone) in rows.inner_text()
    page.fill("input[name=q]", "+19999999999")
    page.wait_for_selector("text=No decisions match.")
    page.screenshot(path=SCREENSHOTS / "decisions.png", full_page=True)
