"""Going on and off duty: signing in puts a recovery specialist on duty (available), signing out takes them off
(away), so the status log (`AgentStatusChange`) knows the team's hours, which the dashboards cost.

These are explicit steps of the sign-in and sign-out views (`agents.views.sign_in`), not receivers of Django's
`user_logged_in`/`user_logged_out` signals: a business step belongs to the view that decides it, and a signal also
fires for every other login (a test client's, a script's), changing a working state nobody chose."""

from __future__ import annotations

from agents.models import AgentProfile
from agents.services.calls import agent_status_set, open_call_for
from core.access import AGENT, user_roles


def agent_duty_start(*, user) -> AgentProfile | None:
    """On duty (available) for an agent who just signed in, unless a call of theirs is still open (its status
    stands); None for anyone who is not an agent."""
    if AGENT not in user_roles(user) or open_call_for(user) is not None:
        return None
    return agent_status_set(user, AgentProfile.Status.AVAILABLE)


def agent_duty_end(*, user) -> AgentProfile | None:
    """Off duty (away) for an agent signing out, which also hands their due callbacks to the team; None for
    anyone who is not a signed-in agent."""
    if user is None or not user.is_authenticated or AGENT not in user_roles(user):
        return None
    return agent_status_set(user, AgentProfile.Status.AWAY)


def agent_work_stop(*, user) -> AgentProfile | None:
    """Away (no reason given) for an agent who wrapped up with "Save and stop": they are still signed in but
    take no more carts, so the floor must not flag them idle while work waits; None for anyone who is not an
    agent."""
    if AGENT not in user_roles(user):
        return None
    return agent_status_set(user, AgentProfile.Status.AWAY)
