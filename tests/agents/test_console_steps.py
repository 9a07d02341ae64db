"""The console's registry of steps and actions, its one refusal answer and its htmx helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.template.loader import get_template
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from agents.console_forms import ConsoleForm
from agents.console_steps import ACTIONS, STEPS
from agents.http import redirect_page, wants_fragment
from agents.models import AgentProfile, Call, DraftOrder, FrictionReason
from compliance.models import DncList
from tests.factories import CartFactory, CustomerFactory

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
HTMX = {"HTTP_HX_REQUEST": "true"}
CARD = "4111 1111 1111 1111"  # a test card number: passes the Luhn check
TO_COMPLETION = ({"answer": "reached"}, {"friction": ["payment_failed"]}, {"offered": ["x"], "resolved": "yes"}, {})


def test_every_step_has_a_form_a_template_and_a_service():
    for step in STEPS.values():
        assert issubclass(step.form_class, ConsoleForm), step.title
        assert get_template(step.template), step.title
        assert callable(step.service), step.title


def test_the_registry_runs_in_the_scripts_order_and_ends_with_the_wrap_up():
    keys = list(STEPS)

    assert keys == [value for value in Call.Step.values if value < Call.Step.DONE]
    assert [step.title for step in STEPS.values()] == ["Opening", "Friction", "Objections", "Value", "Completion",
                                                       "Wrap-up"]
    assert [step.next_step for step in STEPS.values()] == [*keys[1:], Call.Step.DONE]


def test_every_action_has_a_form_a_service_and_its_url_and_every_step_names_known_actions():
    for action in ACTIONS.values():
        assert issubclass(action.form_class, ConsoleForm) and callable(action.service), action.name
        assert reverse(f"console:{action.name}", args=[7]) == f"/agent/calls/7/{action.path}/"
    for step in STEPS.values():
        assert set(step.actions) <= set(ACTIONS), step.title


def test_going_back_leads_only_to_an_earlier_step():
    call = Call(step=Call.Step.WRAP_UP, answer=Call.Answer.REACHED)
    for step in STEPS.values():
        to = step.back_to(call)
        assert to is None or Call.Step.OPENING <= to < step.key, step.title


def test_a_fragment_is_sent_to_htmx_but_not_to_a_boosted_request():
    factory = RequestFactory()
    plain, htmx, boosted = factory.get("/"), factory.get("/", **HTMX), factory.get("/", HTTP_HX_BOOSTED="true", **HTMX)
    for request in (plain, htmx, boosted):
        request.htmx = HtmxDetails(request)

    assert (wants_fragment(plain), wants_fragment(htmx), wants_fragment(boosted)) == (False, True, False)
    assert redirect_page(htmx, "/agent/")["HX-Redirect"] == "/agent/"
    assert redirect_page(htmx, "/agent/").status_code == 204
    assert (redirect_page(plain, "/agent/").status_code, redirect_page(plain, "/agent/").url) == (302, "/agent/")


@pytest.fixture
def dialed(client, agent_user, shopify_store):
    """An agent on a call they have dialed (offline), at the completion step; the clock stands still."""
    with time_machine.travel(NOW, tick=False):
        DncList.objects.create(name="national", kind="national", last_full_import_at=NOW - timedelta(days=1))
        AgentProfile.objects.create(user=agent_user)
        customer = CustomerFactory(store=shopify_store, phone="+12125550181", region="NY",
                                   email="jane.steps@example.com")
        CartFactory(store=shopify_store, customer=customer, route="call_first", total_value=Decimal("640.00"),
                    platform_created_at=NOW - timedelta(minutes=20))
        client.force_login(agent_user)
        client.post("/agent/next/")
        call = Call.objects.get(agent=agent_user)
        client.post(f"/agent/calls/{call.pk}/dial/", **HTMX)
        yield call


def post(client, call, where: str, **data):
    return client.post(f"/agent/calls/{call.pk}/{where}/", data=data, **HTMX)


@pytest.mark.django_db
def test_a_refused_step_keeps_what_the_agent_typed(client, dialed):
    with time_machine.travel(NOW, tick=False):
        post(client, dialed, "step", answer="reached")

        response = post(client, dialed, "step", notes="Card declined twice, no reason picked")

    page = response.content.decode()
    assert response.status_code == 422 and "Pick at least one reason" in page
    # the reason is said next to the reasons, and each box points a screen reader to it
    assert '<p class="error field-error" role="alert" id="step-friction-error">Pick at least one reason' in page
    assert page.count('aria-invalid="true" aria-describedby="step-friction-error"') == FrictionReason.objects.count()
    assert "Card declined twice, no reason picked</textarea>" in page


@pytest.mark.django_db
def test_a_refused_payment_keeps_the_reference_typed(client, dialed):
    with time_machine.travel(NOW, tick=False):
        for data in TO_COMPLETION:
            post(client, dialed, "step", **data)

        response = post(client, dialed, "paid", amount="six hundred", reference="TXN-88213")

    page = response.content.decode()
    assert response.status_code == 422 and "“six hundred” is not an amount." in page
    assert 'value="six hundred"' in page and 'value="TXN-88213"' in page


@pytest.mark.django_db
def test_a_card_number_is_refused_and_never_shown_back(client, dialed):
    with time_machine.travel(NOW, tick=False):
        for data in TO_COMPLETION:
            post(client, dialed, "step", **data)

        response = post(client, dialed, "paid", amount="640", reference=CARD)
        invoice = post(client, dialed, "invoice", amount="-1", note=CARD)

    page = response.content.decode()
    assert response.status_code == 422 and "looks like a card number" in page
    assert CARD not in page
    assert 'name="reference" maxlength="100" value=""' in page and 'value="640"' in page  # the amount is kept
    dialed.refresh_from_db()
    assert dialed.payment_reference == "" and dialed.step == Call.Step.COMPLETION
    # a card number typed in any field of a refused form is cleared from the screen
    page = invoice.content.decode()
    assert invoice.status_code == 422 and "above zero" in page and CARD not in page and 'value="-1"' in page
    assert not DraftOrder.objects.exists()
