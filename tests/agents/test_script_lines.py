"""A store's own spoken lines and friction reasons: placeholders are checked and filled in as plain text, never run;
the editor previews on a sample cart and refuses an unknown placeholder on screen; every change is audited; calls
say the store's line (else the default) and list the store's own reasons beside the shared ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agents import script_lines
from agents.models import AgentProfile, Call, FrictionReason, ScriptLine
from agents.services.calls import call_frictions_record
from agents.services.script import script_line_reset, script_line_save
from compliance.models import AuditEvent
from tests.factories import CartFactory, CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db
VALUES = {"customer_first_name": "Jane", "store_name": "North Bikes", "agent_first_name": "Maya",
          "cart_total": "$640", "top_item": "Trail Runner GTX"}


# --- the placeholders ---------------------------------------------------------------------------------------------


def test_a_line_with_known_placeholders_is_filled_in():
    text = script_lines.check("  Hi {customer_first_name}, {agent_first_name} at {store_name}: {top_item}, "
                              "{cart_total}.  ")
    assert script_lines.fill(text, VALUES) == "Hi Jane, Maya at North Bikes: Trail Runner GTX, $640."


def test_a_store_name_ending_in_a_full_stop_is_not_followed_by_another():
    values = {**VALUES, "store_name": "Coffee Gear Co."}
    assert script_lines.fill("This is Maya from {store_name}. Do you have a minute?", values) == (
        "This is Maya from Coffee Gear Co. Do you have a minute?")
    assert script_lines.fill("Thanks from {store_name}, bye", values) == "Thanks from Coffee Gear Co., bye"


@pytest.mark.parametrize(("text", "refusal"), [
    ("Hi {first_name}!", "Unknown placeholder {first_name}: use only {customer_first_name}, {store_name}"),
    ("Hi {customer.first_name} {x} {x}", "Unknown placeholder {customer.first_name}, {x}: use only"),
    ("{{ settings.SECRET_KEY }}", "Unknown placeholder { settings.SECRET_KEY }"),
    ("{customer_first_name.__class__}", "Unknown placeholder {customer_first_name.__class__}"),
    ("{% debug %}", "Unknown placeholder {% debug %}"),
    ("Hi {customer_first_name", "A brace must enclose a placeholder"),
    ("50% off } today", "A brace must enclose a placeholder"),
    ("   ", "Write the line, or use the default line."),
    ("x" * 601, "Keep the line under 600 characters (it has 601)."),
])
def test_an_unknown_placeholder_or_a_stray_brace_is_refused_with_a_sentence(text, refusal):
    with pytest.raises(ValidationError) as refused:
        script_lines.check(text)
    assert refusal in refused.value.messages[0]


def test_a_value_is_put_in_as_plain_text_and_never_read_as_a_placeholder():
    values = {**VALUES, "customer_first_name": "{store_name} <b>"}
    assert script_lines.fill("Hi {customer_first_name}", values) == "Hi {store_name} <b>"


def test_a_stored_line_that_no_longer_checks_says_the_default():
    said = script_lines.say("Hi {retired_placeholder}", ScriptLine.Line.OPENING, VALUES)
    assert said == script_lines.fill(script_lines.DEFAULT_LINES[ScriptLine.Line.OPENING], VALUES)
    assert said.startswith("Hi Jane, this is Maya from North Bikes.")


# --- saving, with the audit trail ---------------------------------------------------------------------------------


def test_saving_a_line_records_the_words_before_and_after_and_a_reset_goes_back_to_the_default(supervisor_user):
    # given
    store = StoreFactory(name="North Bikes")
    default = script_lines.DEFAULT_LINES["opening"]

    # when
    script_line_save(store=store, line="opening", text="Hey {customer_first_name}!", by=supervisor_user)
    script_line_save(store=store, line="opening", text="Hey {customer_first_name}!", by=supervisor_user)  # same
    script_line_save(store=store, line="opening", text="Hello {customer_first_name}.", by=supervisor_user)
    had_own = script_line_reset(store=store, line="opening")

    # then
    events = list(AuditEvent.objects.filter(subject_type="script line").order_by("at", "pk"))
    assert [(event.action, event.changes["text"]) for event in events] == [
        ("created", [default, "Hey {customer_first_name}!"]),
        ("changed", ["Hey {customer_first_name}!", "Hello {customer_first_name}."]),
        ("deleted", ["Hello {customer_first_name}.", default]),
    ]
    assert had_own and not ScriptLine.objects.filter(store=store).exists()
    assert script_line_reset(store=store, line="opening") is False
    assert script_line_save(store=store, line="opening", text=default, by=supervisor_user) is None  # says it already
    assert not ScriptLine.objects.exists() and AuditEvent.objects.filter(subject_type="script line").count() == 3


def test_the_service_refuses_an_unknown_placeholder_too(supervisor_user):
    with pytest.raises(ValidationError):
        script_line_save(store=StoreFactory(), line="friction", text="About {item}?", by=supervisor_user)
    assert not ScriptLine.objects.exists()


# --- the editor ---------------------------------------------------------------------------------------------------


@pytest.fixture
def north(supervisor_user):
    store = StoreFactory(name="North Bikes")
    AgentProfile.objects.create(user=supervisor_user).stores.add(store)
    return store


def test_a_supervisor_saves_their_stores_opening_line(client, supervisor_user, north):
    client.force_login(supervisor_user)
    page = client.get(f"/agents/script/lines/{north.pk}/opening/").content.decode()
    assert "North Bikes says the default line." in page and "{customer_first_name}" in page
    assert f">{script_lines.DEFAULT_LINES['opening']}</textarea>" in page  # to edit from

    response = client.post(f"/agents/script/lines/{north.pk}/opening/",
                           {"text": "Hi {customer_first_name}, {agent_first_name} from {store_name} here."})

    assert response.status_code == 302
    assert ScriptLine.objects.get(store=north, line="opening").text.startswith("Hi {customer_first_name}")
    assert AuditEvent.objects.filter(subject_type="script line", action="created",
                                     actor_name=supervisor_user.username).exists()
    assert f'id="line-{north.pk}-opening">Own line' in client.get("/agents/script/").content.decode()


def test_an_unknown_placeholder_is_refused_on_screen_in_the_form_and_the_preview(client, supervisor_user, north):
    client.force_login(supervisor_user)

    response = client.post(f"/agents/script/lines/{north.pk}/opening/", {"text": "Hi {first_name}!"})

    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="line-error">Not saved. Unknown placeholder {first_name}' in page
    assert 'id="preview-error">Unknown placeholder {first_name}' in page
    assert "Hi {first_name}!" in page  # what was typed stays
    assert not ScriptLine.objects.exists() and not AuditEvent.objects.filter(subject_type="script line").exists()


def test_the_preview_fills_in_a_sample_cart_and_saves_nothing(client, supervisor_user, north):
    supervisor_user.first_name = "Rosa"
    supervisor_user.save()
    client.force_login(supervisor_user)
    url = f"/agents/script/lines/{north.pk}/completion/preview/"

    filled = client.post(url, {"text": "{customer_first_name}, {store_name} holds {top_item} at {cart_total}."},
                         HTTP_HX_REQUEST="true").content.decode()
    refused = client.post(url, {"text": "{oops}"}, HTTP_HX_REQUEST="true").content.decode()
    empty = client.post(url, {"text": ""}, HTTP_HX_REQUEST="true").content.decode()
    without_js = client.post(f"/agents/script/lines/{north.pk}/completion/", {"text": "{agent_first_name}!",
                                                                                "preview": "1"})

    assert "Alex, North Bikes holds Trail Runner GTX at $129." in filled and "<html" not in filled
    assert "Unknown placeholder {oops}" in refused
    assert script_lines.DEFAULT_LINES["completion"] in empty and "An empty line says the default." in empty
    assert without_js.status_code == 200 and "Rosa!" in without_js.content.decode()
    assert not ScriptLine.objects.exists()


def test_another_stores_lines_are_not_found_and_agents_may_not_edit(client, supervisor_user, agent_user, north):
    other = StoreFactory(name="Other store")
    client.force_login(supervisor_user)
    assert client.get(f"/agents/script/lines/{other.pk}/opening/").status_code == 404
    assert client.post(f"/agents/script/lines/{other.pk}/opening/", {"text": "Hi"}).status_code == 404
    assert client.get(f"/agents/script/lines/{north.pk}/closing/").status_code == 404
    client.force_login(agent_user)
    assert client.post(f"/agents/script/lines/{north.pk}/opening/", {"text": "Hi"}).status_code == 403
    assert not ScriptLine.objects.exists()


# --- the console --------------------------------------------------------------------------------------------------


def call_on(store, agent, *, step=Call.Step.OPENING, first_name="Jane") -> Call:
    cart = CartFactory(store=store, customer=CustomerFactory(store=store, first_name=first_name))
    return Call.objects.create(cart=cart, agent=agent, opened_at=timezone.now() - timedelta(minutes=1), step=step)


@pytest.fixture
def maya(agent_user):
    agent_user.first_name = "Maya"
    agent_user.save()
    return agent_user


def test_the_call_says_the_stores_own_line_and_another_store_the_default(client, maya, supervisor_user):
    # given: North Bikes has its own opening; South Coffee has none
    north, south = StoreFactory(name="North Bikes"), StoreFactory(name="South Coffee")
    script_line_save(store=north, line="opening", text="Hey {customer_first_name}, {agent_first_name} at "
                                                       "{store_name}!", by=supervisor_user)
    client.force_login(maya)

    # when
    own = client.get(f"/agent/calls/{call_on(north, maya, first_name='<b>Jo</b>').pk}/").content.decode()
    Call.objects.filter(agent=maya).update(wrapped_up_at=timezone.now())
    default = client.get(f"/agent/calls/{call_on(south, maya).pk}/").content.decode()

    # then: the customer's name is text, escaped like any other
    assert "“Hey &lt;b&gt;Jo&lt;/b&gt;, Maya at North Bikes!”" in own
    assert "Hi Jane, this is Maya from South Coffee. I noticed you were checking out the items in your cart" \
        in default


def test_step_two_lists_the_stores_own_reasons_beside_the_shared_ones_and_only_those(client, maya):
    # given: a bike shop's reason and a cosmetics shop's
    bikes, cosmetics = StoreFactory(name="North Bikes"), StoreFactory(name="Glow Cosmetics")
    FrictionReason.objects.create(store=bikes, code="frame_size", label="Frame size unsure")
    FrictionReason.objects.create(store=cosmetics, code="shade_match", label="Shade match unsure")
    call = call_on(bikes, maya, step=Call.Step.FRICTION)
    client.force_login(maya)

    # when
    page = client.get(f"/agent/calls/{call.pk}/").content.decode()

    # then
    assert "Frame size unsure" in page and "Price" in page and "Shade match unsure" not in page
    with pytest.raises(ValidationError):
        call_frictions_record(call, agent=maya, codes=["shade_match"])
    call_frictions_record(call, agent=maya, codes=["frame_size", "price", "shade_match"])
    assert set(call.frictions.values_list("code", flat=True)) == {"frame_size", "price"}
