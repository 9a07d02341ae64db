"""A supervisor rewrites what the agent says for their store, watching the preview on a sample cart, has an unknown
placeholder refused on screen, and adds their store's own friction reason; the agent's next call says the line and
lists the reason. Screens are saved in script/ of the screenshots folder (see the `screenshots` fixture)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from agents.models import AgentProfile, Call, FrictionReason, ScriptLine
from compliance.models import AuditEvent
from core.access import AGENT, SUPERVISOR
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PREVIEW_MS = 5_000  # the editor asks for a preview 300 ms after the last key


@pytest.fixture
def shots(screenshots) -> Path:
    folder = screenshots / "script"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def bikes(db):
    """North Bikes, its supervisor Rosa and its agent Maya."""
    store = StoreFactory(name="North Bikes")
    rosa = UserFactory(username="rosa", first_name="Rosa", role=SUPERVISOR)
    AgentProfile.objects.create(user=rosa).stores.add(store)
    UserFactory(username="maya", first_name="Maya", role=AGENT)
    return store


def sign_in(page, username: str, path: str) -> None:
    page.goto(f"/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def test_a_supervisor_writes_the_stores_opening_with_a_preview_and_an_unknown_placeholder_is_refused(
        page, browser, live_server, bikes, shots):
    page.set_viewport_size({"width": 1366, "height": 768})
    # given Rosa on the call script: North Bikes says the default opening
    sign_in(page, "rosa", "/agents/script/")
    assert page.locator(f"#line-{bikes.pk}-opening").inner_text() == "Default"
    page.click(f"#line-{bikes.pk}-opening")
    page.wait_for_selector("#script-line")
    assert "North Bikes says the default line." in page.locator("#line-source").inner_text()

    # when she types her line, the preview fills it in on the sample cart as she types
    page.fill("#id_text", "Hey {customer_first_name}! {agent_first_name} from {store_name}, about the {top_item}.")
    page.wait_for_selector("#preview-text:has-text('Hey Alex! Rosa from North Bikes, about the Trail Runner GTX.')",
                           timeout=PREVIEW_MS)
    page.screenshot(path=shots / "04_line_preview.png", full_page=True)

    # and a placeholder the product does not know is refused in the preview, then on saving
    page.fill("#id_text", "Hey {first_name}! {agent_first_name} from {store_name}.")
    page.wait_for_selector("#preview-error:has-text('Unknown placeholder {first_name}')", timeout=PREVIEW_MS)
    page.click("#line-save")
    page.wait_for_selector("#line-error")
    assert "Not saved. Unknown placeholder {first_name}: use only {customer_first_name}" in page.locator(
        "#line-error").inner_text()
    assert page.locator("#id_text").input_value() == "Hey {first_name}! {agent_first_name} from {store_name}."
    page.screenshot(path=shots / "05_line_refused.png", full_page=True)
    assert not ScriptLine.objects.exists()

    # and an empty line is refused too (the default is one button away)
    page.fill("#id_text", "")
    page.click("#line-save")
    page.wait_for_selector("#line-error:has-text('Write the line, or use the default line.')")

    # when she corrects it and saves
    page.fill("#id_text", "Hey {customer_first_name}! {agent_first_name} from {store_name}, got a minute?")
    page.click("#line-save")
    page.wait_for_url("**/agents/script/")

    # then the store says its own line, and the change is on the audit trail
    assert page.locator(f"#line-{bikes.pk}-opening").inner_text() == "Own line"
    event = AuditEvent.objects.get(subject_type="script line")
    assert event.actor_name == "rosa" and event.changes["text"][1].startswith("Hey {customer_first_name}!")

    # and another store's line is not hers to open
    other = StoreFactory(name="South Coffee")
    assert page.goto(f"/agents/script/lines/{other.pk}/opening/").status == 404

    # and Maya's next call on a North Bikes cart says it, with the customer's name
    cart = CartFactory(store=bikes, customer=CustomerFactory(store=bikes, first_name="Jane"))
    call = Call.objects.create(cart=cart, agent=UserFactory(username="maya"), opened_at=timezone.now()
                               - timedelta(minutes=1))
    agent_page = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768}).new_page()
    sign_in(agent_page, "maya", f"/agent/calls/{call.pk}/")
    assert agent_page.locator("#step blockquote.say").inner_text() == "“Hey Jane! Maya from North Bikes, got a minute?”"
    agent_page.screenshot(path=shots / "06_console_own_line.png")
    agent_page.context.close()

    # and "Use the default line" puts the default back
    page.goto(f"/agents/script/lines/{bikes.pk}/opening/")
    page.click("#line-reset")
    page.wait_for_url("**/agents/script/")
    assert page.locator(f"#line-{bikes.pk}-opening").inner_text() == "Default"


def test_a_supervisor_adds_the_stores_own_friction_reason_and_its_calls_list_it(page, browser, live_server, bikes,
                                                                                shots):
    page.set_viewport_size({"width": 1366, "height": 768})
    # given Rosa on the call script
    sign_in(page, "rosa", "/agents/script/")
    form = page.locator("#friction-reasons form")

    # when she adds a reason without choosing a store, it is refused: shared reasons are the admins'
    form.locator("input[name=friction-label]").fill("Frame size unsure")
    form.locator("input[name=friction-code]").fill("frame_size")
    form.locator("button:has-text('Add reason')").click()
    page.wait_for_selector("#friction-reasons .errorlist")
    assert "the reasons every store shares are set by admins" in page.locator(
        "#friction-reasons .errorlist").inner_text()
    assert not FrictionReason.objects.filter(code="frame_size").exists()

    # when she chooses her store
    form = page.locator("#friction-reasons form")
    form.locator("select[name=friction-store]").select_option(label="North Bikes")
    form.locator("button:has-text('Add reason')").click()
    page.wait_for_selector("#friction-reasons tr:has-text('Frame size unsure')")
    page.locator("#friction-reasons").screenshot(path=shots / "07_store_friction.png")

    # then a North Bikes call lists it at step 2, beside the shared reasons
    cart = CartFactory(store=bikes, customer=CustomerFactory(store=bikes, first_name="Jane"))
    call = Call.objects.create(cart=cart, agent=UserFactory(username="maya"), step=Call.Step.FRICTION,
                               opened_at=timezone.now() - timedelta(minutes=1))
    agent_page = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768}).new_page()
    sign_in(agent_page, "maya", f"/agent/calls/{call.pk}/")
    reasons = agent_page.locator("#step fieldset label.option").all_inner_texts()
    assert any("Frame size unsure" in reason for reason in reasons) and any("Price" in r for r in reasons)
    agent_page.screenshot(path=shots / "08_console_store_friction.png")
    agent_page.context.close()
