"""Signing in puts a recovery specialist on duty (available); signing out takes them off (away), so the
status log knows the team's hours."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from agents.models import AgentProfile
from agents.services.calls import agent_status_set, open_call_for
from core.access import AGENT, user_roles


@receiver(user_logged_in)
def agent_signed_in(sender, request, user, **kwargs) -> None:
    if AGENT in user_roles(user) and open_call_for(user) is None:
        agent_status_set(user, AgentProfile.Status.AVAILABLE)


@receiver(user_logged_out)
def agent_signed_out(sender, request, user, **kwargs) -> None:
    if user is not None and AGENT in user_roles(user):
        agent_status_set(user, AgentProfile.Status.AWAY)
