"""Going on and off duty is an explicit step of the sign-in form's and the sign-out's POST, not a signal."""

from __future__ import annotations

import pytest
from django.utils import timezone

from agents.models import AgentProfile, AgentStatusChange, Call
from core.access import AGENT

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    return client.post("/login/", {"username": user.username, "password": "pw"}, REMOTE_ADDR="198.51.100.9")


def test_signing_in_through_the_form_puts_an_agent_on_duty(client, agent_user):
    # when
    response = sign_in(client, agent_user)

    # then
    assert response.status_code == 302
    assert AgentProfile.objects.get(user=agent_user).status == AgentProfile.Status.AVAILABLE
    assert list(AgentStatusChange.objects.filter(agent=agent_user).values_list("status", flat=True)) == ["available"]


def test_a_session_opened_without_the_form_changes_no_working_state(client, agent_user):
    # when: a login that is not the sign-in form (a test client, a script)
    client.force_login(agent_user)

    # then: nobody chose to work, so nothing is logged
    assert not AgentProfile.objects.filter(user=agent_user).exists()
    assert not AgentStatusChange.objects.exists()


def test_a_supervisor_signing_in_is_not_put_on_duty(client, supervisor_user):
    sign_in(client, supervisor_user)
    assert not AgentStatusChange.objects.exists()


def test_an_agent_with_a_call_still_open_keeps_its_status(client, agent_user, cart):
    # given
    AgentProfile.objects.create(user=agent_user, status=AgentProfile.Status.WRAP_UP)
    Call.objects.create(cart=cart, agent=agent_user, opened_at=timezone.now())

    # when
    sign_in(client, agent_user)

    # then
    assert AgentProfile.objects.get(user=agent_user).status == AgentProfile.Status.WRAP_UP


def test_signing_out_takes_an_agent_off_duty_and_the_hours_end_there(client, agent_user, supervisor_user):
    # given
    sign_in(client, agent_user)

    # when
    response = client.post("/logout/")

    # then
    assert response.status_code == 302
    assert AgentProfile.objects.get(user=agent_user).status == AgentProfile.Status.AWAY
    assert list(AgentStatusChange.objects.filter(agent=agent_user).order_by("at", "pk")
                .values_list("status", flat=True)) == ["available", "away"]
    assert AGENT not in {group.name for group in supervisor_user.groups.all()}
    client.force_login(supervisor_user)
    client.post("/logout/")
    assert not AgentStatusChange.objects.filter(agent=supervisor_user).exists()
