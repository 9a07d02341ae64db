"""An admin uploads a DNC file, watches the import finish, then searches the gate's audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from compliance.models import DncImport, DncList
from tests.e2e.helpers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Abandoned carts")


@pytest.fixture
def dnc_dirs(settings, tmp_path):
    """Uploads and reports in the test's own directories; returns the uploads'."""
    settings.DNC_UPLOADS_DIR = tmp_path / "dnc-uploads"
    settings.DNC_REPORTS_DIR = tmp_path / "dnc-reports"
    return settings.DNC_UPLOADS_DIR


def upload(page, path: Path, **choices: str) -> None:
    page.goto("/compliance/dnc/")
    page.wait_for_selector("text=Upload a list")
    if "list_name" in choices:
        page.fill("input[name=list_name]", choices["list_name"])
    if "mode" in choices:
        page.select_option("select[name=mode]", choices["mode"])
    page.set_input_files("input[name=file]", str(path))
    page.click("text=Upload and import")


def test_admin_uploads_a_registry_file_and_sees_it_imported(page, tmp_path, dnc_dirs, screenshots):
    call_command("seed_demo", verbosity=0)
    registry = tmp_path / "additions-2026-11.txt"
    registry.write_text("2025550180\n2025550181\nnot-a-number\n312,5550182\n")
    login(page, "admin", "demo-admin")

    page.click("nav >> text=DNC lists")
    page.wait_for_selector("text=Upload a list")
    # the defaults add to the internal list: the choice that can never make a number callable
    assert page.input_value("input[name=list_name]") == "internal"
    assert page.input_value("select[name=mode]") == "add"
    upload(page, registry)

    # the import runs in the (eager) worker; the page shows its outcome and the rejected line
    page.wait_for_selector("text=Rejected lines")
    page.wait_for_selector("text=download the report")
    record = DncImport.objects.filter(file_name="additions-2026-11.txt").get()
    assert record.status == "done" and record.numbers_loaded == 3 and record.lines_rejected == 1
    assert record.dnc_list.name == "internal" and record.mode == "add"
    page.screenshot(path=screenshots / "dnc-import.png", full_page=True)

    page.click("text=← Do-Not-Call lists")
    page.wait_for_selector(f"#dnc-list-{record.dnc_list_id}")
    page.screenshot(path=screenshots / "dnc-lists.png", full_page=True)


def test_a_shrinking_full_list_shows_both_sizes_and_waits_for_the_admin(page, tmp_path, dnc_dirs, screenshots):
    call_command("seed_demo", verbosity=0)
    national = DncList.objects.get(name="national")
    before = national.entry_count
    assert before > 20
    test_file = tmp_path / "test-9-lines.txt"
    test_file.write_text("".join(f"212555{n:04d}\n" for n in range(9)))
    login(page, "admin", "demo-admin")

    # cancel: the list stays as it is
    upload(page, test_file, list_name="national", mode="replace")
    page.wait_for_selector("#dnc-import-confirm")
    text = page.inner_text("#dnc-import-confirm")
    assert f"The list national has {before} numbers now; this file would leave 9." in text
    assert f"{before - 9} numbers would become callable again" in text
    page.screenshot(path=screenshots / "dnc-replace-confirm.png", full_page=True)
    page.click("text=Cancel: keep the list as it is")
    page.wait_for_selector(".import-status:text('Cancelled')")
    national.refresh_from_db()
    assert national.entry_count == before
    assert list(dnc_dirs.iterdir()) == []  # the uploaded file is gone

    # confirm: the list is replaced, and the import's page and the lists page show both sizes
    upload(page, test_file, list_name="national", mode="replace")
    page.wait_for_selector("#dnc-import-confirm")
    page.click(f"text=Replace the list ({before} → 9 numbers)")
    page.wait_for_selector(".import-status:text('Done')")
    page.wait_for_selector(f"text={before} before · 9 after")
    national.refresh_from_db()
    assert national.entry_count == 9
    page.click("text=← Do-Not-Call lists")
    page.wait_for_selector(f"text={before} → 9")


def test_a_file_that_is_not_text_fails_with_a_clear_message(page, tmp_path, dnc_dirs, screenshots):
    call_command("seed_demo", verbosity=0)
    utf16 = tmp_path / "exported-from-excel.txt"
    utf16.write_bytes("2025550180\n2025550181\n".encode("utf-16"))
    login(page, "admin", "demo-admin")

    upload(page, utf16)

    page.wait_for_selector("text=Not a text file: NUL byte on line 1")
    assert page.inner_text(".import-status") == "Failed"
    page.screenshot(path=screenshots / "dnc-import-not-text.png", full_page=True)


def test_supervisor_searches_the_audit_log(page, screenshots):
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
    # shown in its national format, the E.164 that was typed on hover
    assert rows.locator(".phone").get_attribute("title") == str(cart.customer.phone)
    page.fill("input[name=q]", "+19999999999")
    page.wait_for_selector("text=No decisions match.")
    page.screenshot(path=screenshots / "decisions.png", full_page=True)
