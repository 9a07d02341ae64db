"""Statements the hot paths prepare once per database session (the contact gate's facts, the work queue)."""

from __future__ import annotations

import itertools
import re
import weakref

from django.db import DatabaseError
from django.db.backends.signals import connection_created


class PreparedStatement:
    """A statement PREPAREd once per database session, then EXECUTEd.

    Planning a statement of the hot paths (the gate's facts, the queue's pop) takes about 0.3 ms, several
    times what running it takes; prepared, it is planned once per session. Django leaves psycopg's own
    preparation off; this needs what persistent connections give (a direct connection, or a pooler in
    session mode), not a transaction-pooling PgBouncer. PREPARE is not transactional: a rollback keeps
    it. If a session loses the statement (DISCARD ALL) or a schema change makes its plan unusable, that
    call fails (the gate denies, the queue's request errs) and the next one prepares it again, under a new
    name. Every session plans them once: see `plan_prepared_statements_once`.
    """

    PLACEHOLDER = re.compile(r"%\((\w+)\)s")
    _STALE = {"26000", "0A000"}  # invalid_sql_statement_name; "cached plan must not change result type"

    def __init__(self, name: str, sql: str) -> None:
        names = list(dict.fromkeys(self.PLACEHOLDER.findall(sql)))
        self._name = name
        self._body = self.PLACEHOLDER.sub(lambda match: f"${names.index(match[1]) + 1}", sql)
        self._arguments = ", ".join(f"%({name})s" for name in names)
        self._sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection -> name
        self._serial = itertools.count()

    def execute(self, cursor, params: dict) -> None:
        session = cursor.db.connection  # the cursor's own database: no lookup of the connection proxy
        name = self._sessions.get(session)
        if name is None:
            name = f"{self._name}_{next(self._serial)}"
            cursor.execute(f"PREPARE {name} AS {self._body}")
            self._sessions[session] = name
        try:
            cursor.execute(f"EXECUTE {name} ({self._arguments})", params)
        except DatabaseError as error:
            if getattr(error.__cause__, "sqlstate", None) in self._STALE:
                self._sessions.pop(session, None)
            raise


def _plan_generically(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")


def plan_prepared_statements_once() -> None:
    """Have every new database session plan a prepared statement once, rather than at each EXECUTE.

    PostgreSQL's default (`auto`) keeps planning a statement for its parameters while its generic plan looks
    dearer than those: the queue's agent facts (an agent's held cart by `reserved_by_id = $1`, which the
    statistics guess at 55 rows, against the 1 of a known agent) was planned again at every `next_cart`,
    0.8 ms of PostgreSQL's time each, more than running it, for the same plan. These statements are written
    to run well on a generic plan. The ORM is not affected: it binds parameters client-side and prepares
    nothing.
    """
    connection_created.connect(_plan_generically, dispatch_uid="core.db.prepared.plan_generically")
