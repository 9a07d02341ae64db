"""The dashboards benchmark's people (stores, agents with their cost, supervisors signed in) and its clean-up."""

from __future__ import annotations

import random
import time
from datetime import datetime
from decimal import Decimal

from bench.console import data as console_data
from bench.dashboards import data as dashboards_data
from bench.dashboards.load import Supervisor
from bench.work_queue import setup as queue_setup

SUPERVISOR_GROUP = "Supervisors"


def create_people(agents: int, supervisors: int) -> tuple[list[int], list[int], list[Supervisor]]:
    """The stores, the agents (specialists, each with an hourly cost) and the supervisors with a session each."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from agents.models import AgentProfile

    store_ids = queue_setup.create_stores()
    created = queue_setup.create_agents(agents, store_ids)
    console_data.make_specialists(created)
    rng = random.Random(7)
    for agent in created:
        AgentProfile.objects.filter(user_id=agent.user_id).update(
            hourly_cost=Decimal(f"{rng.uniform(24, 36):.2f}"))
    group, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    signed_in = []
    for number in range(supervisors):
        user = get_user_model().objects.create(username=f"{queue_setup.AGENT_PREFIX}supervisor-{number}",
                                               first_name="Sam", last_name=f"Supervisor {number}")
        user.groups.add(group)
        session_key, _csrf = console_data.sign_in(user)
        signed_in.append(Supervisor(user.username, session_key))
    return store_ids, [agent.user_id for agent in created], signed_in


def friction_ids() -> list[int]:
    from agents.models import FrictionReason

    return list(FrictionReason.objects.order_by("pk").values_list("pk", flat=True))


_PROFILE_STATUS_SQL = """
UPDATE agents_agentprofile AS profile
SET status = last.status, status_since = last.at, is_available = last.status <> 'away'
FROM (SELECT DISTINCT ON (agent_id) agent_id, status, at FROM agents_agentstatuschange
      ORDER BY agent_id, at DESC) AS last
WHERE profile.user_id = last.agent_id
"""


def load(*, carts: int, attempts: int, agents: int, supervisors: int, now: datetime) -> tuple[dict, list[Supervisor],
                                                                                           dict]:
    """Everything the run reads; returns what was loaded (counts, seconds), the supervisors, and ids to filter by."""
    from django.db import connection

    started = time.monotonic()
    store_ids, agent_ids, signed_in = create_people(agents, supervisors)
    plan = dashboards_data.Plan(carts=carts, attempts=attempts, now=now, store_ids=store_ids, agent_ids=agent_ids,
                                friction_ids=friction_ids())
    loaded = dashboards_data.load(plan)
    with connection.cursor() as cursor:
        cursor.execute(_PROFILE_STATUS_SQL)
    loaded["total_s"] = round(time.monotonic() - started, 1)
    loaded["now"] = now.isoformat()
    return loaded, signed_in, {"store": store_ids[0], "agent": agent_ids[0]}


def counts() -> dict[str, int]:
    """How the loaded data splits, counted by PostgreSQL, for the report."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FILTER (WHERE abandoned_at IS NOT NULL), count(*) FILTER (WHERE in_control_group),
                   count(*) FILTER (WHERE status = 'recovered'), count(*) FILTER (WHERE status = 'open'),
                   count(*) FILTER (WHERE route = 'call_first'),
                   extract(day FROM max(abandoned_at) - min(abandoned_at))::int
            FROM recovery_cart""")
        abandoned, control, recovered, open_carts, call_first, days = cursor.fetchone()
        cursor.execute("SELECT channel, count(*) FROM compliance_contactattempt GROUP BY channel ORDER BY channel")
        by_channel = dict(cursor.fetchall())
    return {"abandoned": abandoned, "control_group": control, "recovered": recovered, "open": open_carts,
            "call_first": call_first, "days": days, "attempts_by_channel": by_channel}


def remove_everything_else(session_keys: list[str]) -> None:
    """What the stores' truncation does not reach: the status log, the gate's decisions (TRUNCATE: the append-only
    trigger refuses DELETE), the sessions, then the agents and supervisors with the queue benchmark's clean-up."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE agents_agentstatuschange, compliance_contactdecision CASCADE")
    console_data.sign_out_everyone(session_keys)
    queue_setup.remove_everything_else()
