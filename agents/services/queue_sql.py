"""The work queue's hot path in SQL: every agent's "Next cart" runs these, so they are plain prepared
statements rather than ORM querysets, whose construction cost most of `next_cart`'s time (measured by
`python -m bench.work_queue`): with 50 agents on a few cores it became a queue of its own.

A new cart is chosen and reserved in one statement, the bare queue pop (`UPDATE ... WHERE id = (SELECT ...
FOR UPDATE SKIP LOCKED)`) returning the cart with its customer and store, so concurrent agents step past
each other's carts and the row lock lasts one statement, not a whole transaction. The first pop of a
request also reads what decides whether the agent may take a new cart at all (the cart it holds, a
wrap-up owed, its hourly limit, callbacks due) and pops only when nothing stands in the way, and reads with
the cart what the compliance gate needs to screen calling it (the compliance app's own subquery): the usual
"Next cart" is that one statement. Each owner supplies its part: recovery the fragments that choose, lock and
reserve a cart and turn the returned row into one (`recovery.services.queue_sql`), compliance the gate's facts
(`compliance.selectors.call_facts_subquery`); this module composes them with the agent's facts, which are agents'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.db import connection

from compliance.selectors import (
    AGENT_ATTEMPTS_LAST_HOUR_SQL,
    AGENT_UNFINISHED_ATTEMPT_SQL,
    ContactFacts,
    call_facts_from_row,
    call_facts_subquery,
)
from core.db.commit import ASYNCHRONOUS_COMMIT
from core.db.prepared import PreparedStatement
from recovery.services.queue_sql import (
    HELD_SQL,
    HELD_SUBQUERY_SQL,
    cart_columns,
    cart_from_row,
    cart_ready_sql,
    cart_reserve_returning,
    cart_reserve_sql,
)

if TYPE_CHECKING:
    from recovery.models import Cart

# Carts ready to call, best first, in the agent's stores and languages (recovery's fragment, `cart_ready_sql`).
CANDIDATE_SQL = cart_ready_sql(stores="%(stores)s::integer[]", languages="%(languages)s::text[]")
# What decides whether and what the agent may take: one row, whatever the agent's profile holds (the cart it
# holds: recovery's fragment; its attempts: compliance's). B608: only constant fragments are formatted in.
_AGENT_SQL = f"""
SELECT profile.max_attempts_per_hour,
       ARRAY(SELECT store_id FROM agents_agentprofile_stores WHERE agentprofile_id = profile.id) AS stores,
       ARRAY(SELECT lower(btrim(code)) FROM unnest(string_to_array(coalesce(profile.languages, ''), ',')) AS code
             WHERE btrim(code) <> '') AS languages,
       {AGENT_UNFINISHED_ATTEMPT_SQL} AS unfinished,
       EXISTS (SELECT FROM agents_callback WHERE status = 'scheduled' AND due_at <= %(now)s) AS callbacks_due,
       {HELD_SUBQUERY_SQL} AS held,
       CASE WHEN profile.max_attempts_per_hour IS NOT NULL THEN
           {AGENT_ATTEMPTS_LAST_HOUR_SQL}
       END AS last_hour
FROM (VALUES (1)) AS one (x)
LEFT JOIN agents_agentprofile AS profile ON profile.user_id = %(agent)s
"""  # nosec B608
# Scalar subqueries of the one-row `agent`, so PostgreSQL evaluates them once, before the scan: when the
# agent may not take a new cart the queue is not read at all (a one-time filter), rather than every ready
# cart being joined to a row that refuses it.
_FIRST_POP_SQL = cart_ready_sql(
    stores="(SELECT stores FROM agent)::bigint[]", languages="(SELECT languages FROM agent)::text[]",
    may_take="""
  AND (SELECT held IS NULL AND NOT unfinished AND NOT callbacks_due
              AND (max_attempts_per_hour IS NULL OR last_hour < max_attempts_per_hour) FROM agent)""")
# Its transaction commits without waiting for the write-ahead log to reach the disk (`set_config(..., true)` is
# SET LOCAL: this statement's transaction in autocommit, the caller's when inside one). Handing out a cart
# contacts nobody: a database crash in the fraction of a second before the flush loses only leases (and, in the
# console's transaction, the call just opened with its lease), so the cart goes back to the queue; the dial, its
# contact attempt and everything after commit durably in transactions of their own. On a shared disk an
# fsync now and then stalls for a large part of a second, which the pop need not wait for.
# The popped cart comes with what the compliance gate reads to screen calling it (compliance's own subquery,
# `call_facts_subquery`), so that the usual "Next cart" is one round trip; the gate still decides, in Python.
_FACTS_WITH_POP_SQL = """
WITH agent AS ({agent}), popped AS ({pop})
SELECT agent.max_attempts_per_hour, agent.stores, agent.languages, agent.unfinished, agent.callbacks_due,
       agent.held, agent.last_hour, {asynchronous_commit}, popped.*, call_facts.*
FROM agent LEFT JOIN popped ON true
LEFT JOIN LATERAL ({call_facts}) AS call_facts ON popped.{cart_id} IS NOT NULL
"""
@dataclass(frozen=True)
class AgentFacts:
    """What `next_cart` needs to know about the agent, read with its first pop."""

    languages: tuple[str, ...]
    max_attempts_per_hour: int | None
    store_ids: tuple[int, ...]
    unfinished_attempt: bool
    callbacks_due: bool
    held_cart_id: int | None
    attempts_last_hour: int | None  # counted only when the agent has a limit

    @property
    def hourly_limit_reached(self) -> bool:
        limit = self.max_attempts_per_hour
        return limit is not None and (self.attempts_last_hour or 0) >= limit

    @property
    def may_take_new_cart(self) -> bool:
        """The first pop's condition, as the statement states it: nothing held, no wrap-up owed, under the
        hourly limit, no callback due (callbacks come first)."""
        return (self.held_cart_id is None and not self.unfinished_attempt and not self.callbacks_due
                and not self.hourly_limit_reached)


def agent_facts_with_pop(*, agent_id: int, until: datetime,
                         now: datetime) -> tuple[AgentFacts, Cart | None, ContactFacts | None]:
    """The agent's facts, and the best ready cart reserved for it until `until` (with its customer and
    store) when the facts let it take a new one, with the gate's facts for calling it at `now`; else, or when
    none is left, None for the cart and its facts."""
    params = {"agent": agent_id, "until": until, "now": now, "hour_ago": now - timedelta(hours=1),
              "since": now - timedelta(hours=24)}
    with connection.cursor() as cursor:
        _facts_with_pop_statement().execute(cursor, params)
        row = cursor.fetchone()
    limit, stores, languages, unfinished, callbacks_due, held, last_hour, _ = row[:8]
    facts = AgentFacts(tuple(languages or ()), limit, tuple(stores or ()), unfinished, callbacks_due, held,
                       last_hour)
    cart_end = 8 + len(cart_columns())  # then the gate's facts
    cart = cart_from_row(row[8:cart_end], cursor.db)
    if cart is None:
        return facts, None, None
    return facts, cart, call_facts_from_row(row[cart_end:], store=cart.store)


def candidate_params(facts: AgentFacts, now: datetime, *, agent_id: int) -> dict:
    return {"now": now, "stores": list(facts.store_ids), "languages": list(facts.languages), "agent": agent_id}


def best_candidate_reserve(facts: AgentFacts, *, agent_id: int, until: datetime, now: datetime) -> Cart | None:
    """The best ready cart this agent may work, reserved for it until `until`, with its customer and store
    (None when none is left). Carts other agents are taking at this moment are stepped over (SKIP LOCKED)."""
    params = {**candidate_params(facts, now, agent_id=agent_id), "until": until}
    return cart_reserve_returning("agents_queue_pop", CANDIDATE_SQL, params)


def held_cart_renew(*, agent_id: int, until: datetime, now: datetime) -> Cart | None:
    """The cart the agent holds, its lease renewed until `until`, with its customer and store; None if the
    lease lapsed meanwhile."""
    return cart_reserve_returning("agents_queue_renew", HELD_SQL, {"agent": agent_id, "until": until, "now": now})


@lru_cache(maxsize=1)
def _facts_with_pop_statement() -> PreparedStatement:
    """The agent's facts and, when they allow it, the first pop; the cart's columns are renamed, since a
    WITH query's columns must have distinct names (cart, customer and store each have an id)."""
    aliases = {column: f"c{number}" for number, column in enumerate(cart_columns())}
    pop = cart_reserve_sql(cart=_FIRST_POP_SQL, aliases=aliases)
    popped = {column: f"popped.{alias}" for column, alias in aliases.items()}
    call_facts = call_facts_subquery(store=popped['cart."store_id"'], cart=popped['cart."id"'],
                                     phone=popped['customer."phone"'], phone_digest=popped['customer."phone_digest"'],
                                     since="%(since)s")
    sql = _FACTS_WITH_POP_SQL.format(agent=_AGENT_SQL.strip(), pop=pop.strip(), call_facts=call_facts.strip(),
                                     cart_id=aliases['cart."id"'], asynchronous_commit=ASYNCHRONOUS_COMMIT)
    return PreparedStatement("agents_queue_facts_pop", sql)
