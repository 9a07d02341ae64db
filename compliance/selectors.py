"""Compliance reads: the contact gate's facts (one statement a call), the audit log, DNC lists."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from compliance.models import (
    CompliancePolicy,
    ContactAttempt,
    ContactDecision,
    DncImport,
    DncList,
    OptOut,
)
from compliance.models.privacy import suppression_digest
from core.db.prepared import PreparedStatement
from core.db.rows import instance_from_row
from core.phones import search_digits, stored_form


def policy_for_store(store) -> CompliancePolicy:
    """The store's policy, or an unsaved one with the safe defaults."""
    try:
        return store.compliance_policy
    except CompliancePolicy.DoesNotExist:
        return CompliancePolicy(store=store)


# --- The contact gate's facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOutFact:
    """The newest opt-out or opt-in row of one scope."""

    action: str
    at: datetime
    source: str

    @property
    def source_label(self) -> str:
        return dict(OptOut.Source.choices).get(self.source, self.source)


@dataclass(frozen=True)
class ConsentFact:
    """The newest consent record (granted or withdrawn) of the store for one channel."""

    granted: bool
    basis: str
    at: datetime


@dataclass(frozen=True)
class DncListFact:
    """An active DNC list, and whether the number is on it."""

    name: str
    kind: str
    version: int
    last_full_import_at: datetime | None
    listed: bool

    @property
    def kind_label(self) -> str:
        return dict(DncList.Kind.choices).get(self.kind, self.kind)


@dataclass(frozen=True)
class ContactFacts:
    """What the gate knows about one contact, all read in the same statement."""

    policy: CompliancePolicy
    optouts: dict[str, OptOutFact]  # scope -> newest row, for the channel's scope and "all" only
    consent: ConsentFact | None
    inquiry_at: datetime | None  # the newest checkout with the store
    address: tuple[str, str]  # (country, region) of the store's newest customer with the number
    dnc_lists: list[DncListFact]  # active lists by kind and name; none for email
    attempt_times: list[datetime]  # attempts on the channel since `since`, oldest first
    cart_attempts: int  # attempts on the channel for the cart; 0 without a cart
    suppressed: bool = False  # the number or address hashes to a suppression of this channel (or all) after erasure
    # The number digest `suppressed` was probed with, when the facts were read inside another statement (the work
    # queue's pop, from the customer's stored digest); None when `contact_facts` computed it.
    probed_digest: str | None = None


_POLICY_FIELDS = [field for field in CompliancePolicy._meta.concrete_fields if field.name not in ("id", "store")]
_POLICY_ATTNAMES = ["id", "store_id", *(field.attname for field in _POLICY_FIELDS)]

# One statement: one round trip and one snapshot. Every part is an indexed lookup; the per-call identity is
# formatted in from the fixed fragments below, never from input.
_FACTS_SQL = """
SELECT
    policy.id,
    {policy_columns},
    (SELECT json_object_agg(latest.scope, json_build_object('action', latest.action, 'at', latest.at,
                                                           'source', latest.source))
     FROM (SELECT DISTINCT ON (scope) scope, action, at, source FROM compliance_optout
           WHERE {contact_column} = %(contact)s AND scope IN (%(channel)s, 'all')
           ORDER BY scope, at DESC, id DESC) AS latest),
    (SELECT json_build_object('granted', granted, 'basis', basis, 'at', at) FROM compliance_consentrecord
     WHERE {person_column} = %(person)s AND channel = %(channel)s AND store_id = %(store)s
     ORDER BY at DESC, id DESC LIMIT 1),
    {last_cart},
    {address},
    ARRAY(SELECT at FROM compliance_contactattempt
          WHERE {contact_column} = %(contact)s AND channel = %(channel)s AND at >= %(since)s
            AND outcome <> 'not_sent' ORDER BY at),
    (SELECT count(*) FROM compliance_contactattempt
     WHERE cart_id = %(cart)s AND channel = %(channel)s AND outcome <> 'not_sent'),
    {dnc_lists},
    EXISTS (SELECT FROM compliance_suppression
            WHERE digest IN (%(phone_digest)s, %(email_digest)s) AND scope IN (%(channel)s, 'all')){probed}
FROM (VALUES (1)) AS one (x)
LEFT JOIN compliance_compliancepolicy AS policy ON policy.store_id = %(store)s
"""
# The work queue's facts about an agent's contact attempts, as scalar subqueries of its statement (`agents.services
# .queue_sql`) in its parameters %(agent)s and %(hour_ago)s: an attempt still without its outcome (a wrap-up owed),
# and how many attempts the agent made in the last hour.
AGENT_UNFINISHED_ATTEMPT_SQL = ("EXISTS (SELECT FROM compliance_contactattempt "
                                "WHERE agent_id = %(agent)s AND outcome = '')")
AGENT_ATTEMPTS_LAST_HOUR_SQL = ("(SELECT count(*) FROM compliance_contactattempt WHERE agent_id = %(agent)s "
                                "AND at > %(hour_ago)s)")
# The customer's part of the facts (when their last cart of the store began; where their number lives) reads
# recovery's customers and carts, so recovery writes it: its fragments are registered from
# `RecoveryConfig.ready()` (`customer_facts_sql_register`), since compliance does not import recovery. They take
# the facts' own parameters: %(store)s, and %(person_email)s or %(customer_phone)s.
_CUSTOMER_FACTS_SQL: dict[str, str] = {}


def customer_facts_sql_register(*, last_cart_by_phone: str, last_cart_by_email: str, address_by_phone: str) -> None:
    """Called once from `RecoveryConfig.ready()`: the scalar subqueries the gate's statement reads a customer by."""
    _CUSTOMER_FACTS_SQL.update(last_cart_by_phone=last_cart_by_phone, last_cart_by_email=last_cart_by_email,
                               address_by_phone=address_by_phone)


def _customer_facts_sql(name: str) -> str:
    try:
        return _CUSTOMER_FACTS_SQL[name]
    except KeyError:  # the gate then denies (fail-closed), saying why in the log
        raise RuntimeError("recovery has not registered the customer's facts SQL (RecoveryConfig.ready)") from None
# Each list's partition has its own phone index: one probe per active list.
_DNC_LISTS_SQL = """(SELECT json_agg(json_build_object(
        'name', name, 'kind', kind, 'version', version, 'last_full_import_at', last_full_import_at,
        'listed', EXISTS (SELECT FROM compliance_dncentry AS entry
                          WHERE entry.dnc_list_id = dnc_list.id AND entry.phone = %(phone)s)
    ) ORDER BY kind, name)
     FROM compliance_dnclist AS dnc_list WHERE is_active)"""


def _facts_sql(*, contact_by_email: bool, person_by_email: bool, by_phone: bool, probed: str = "") -> str:
    return _FACTS_SQL.format(
        policy_columns=", ".join(f"policy.{field.column}" for field in _POLICY_FIELDS),
        contact_column="email" if contact_by_email else "phone",
        person_column="email" if person_by_email else "phone",
        last_cart=_customer_facts_sql("last_cart_by_email" if person_by_email else "last_cart_by_phone"),
        address=_customer_facts_sql("address_by_phone") if by_phone else "NULL",
        dnc_lists=_DNC_LISTS_SQL if by_phone else "NULL",
        probed=probed,
    )


@lru_cache(maxsize=8)
def _facts_statement(*, contact_by_email: bool, person_by_email: bool, by_phone: bool) -> PreparedStatement:
    sql = _facts_sql(contact_by_email=contact_by_email, person_by_email=person_by_email, by_phone=by_phone)
    variant = f"{contact_by_email:d}{person_by_email:d}{by_phone:d}"
    return PreparedStatement(f"compliance_contact_facts_{variant}", sql)


def call_facts_subquery(*, store: str, cart: str, phone: str, phone_digest: str, since: str) -> str:
    """The facts of calling a cart's customer, as a subquery of a statement that has just chosen the cart (the
    work queue's pop), so that choosing it and reading what the gate needs is one round trip.

    Each argument is an SQL expression of that statement: the store's and the cart's ids, the customer's number
    as stored (E.164) and its stored digest, the start of the 24 hours the caps count. Its row, read by
    `call_facts_from_row`, is what `contact_facts` would return for that call, except that the suppressions are
    probed with the stored digest, which the gate checks against the number (`facts_fit`).
    """
    values = {"store": store, "cart": cart, "since": since, "channel": "'voice'", "phone": phone, "contact": phone,
              "person": phone, "customer_phone": phone, "phone_digest": phone_digest, "email_digest": "''"}
    sql = _facts_sql(contact_by_email=False, person_by_email=False, by_phone=True, probed=",\n    %(phone_digest)s")
    return PreparedStatement.PLACEHOLDER.sub(lambda match: values[match[1]], sql)


def call_facts_from_row(row, *, store) -> ContactFacts:
    """The facts read by `call_facts_subquery` (the columns of its row) for a cart of `store`."""
    return replace(_facts_from_row(row[:-1], store=store), probed_digest=row[-1])


def facts_fit(facts: ContactFacts, *, channel: str, phone: str, email: str) -> bool:
    """Whether facts read elsewhere (`call_facts_subquery`) answer this check: a call to that number, whose
    suppressions were probed with its digest (a customer saved before the digest was kept has none)."""
    return (channel == "voice" and not email and bool(facts.probed_digest)
            and facts.probed_digest == suppression_digest(phone=phone))


def contact_facts(*, store, channel: str, phone: str, email: str, since: datetime, cart=None) -> ContactFacts:
    """Everything the contact gate reads about one contact, fresh, in one statement.

    Opt-outs and attempts follow the channel's address (the number for calls and texts, the email address
    for email); consent and the inquiry follow the person, by number when one is given, else by email.
    Customers' numbers are compared as their field stores them (E.164). Calls and texts also get the
    customer's address and the DNC lists; email gets neither. Suppressions left by an erasure follow both the
    number and the address given (one probe of the digest index, in the same statement).
    """
    by_phone = channel != "email"
    # Customers' numbers are parsed in the default region: their phone field names no region of its own.
    phone_region = settings.PHONENUMBER_DEFAULT_REGION
    params = {
        "store": store.pk, "channel": channel, "since": since, "cart": _saved_pk(cart), "phone": phone,
        "contact": phone if by_phone else email.lower(), "person": phone or email.lower(), "person_email": email,
        "customer_phone": stored_form(phone, phone_region),
        "phone_digest": suppression_digest(phone=phone), "email_digest": suppression_digest(email=email),
    }
    statement = _facts_statement(contact_by_email=not by_phone, person_by_email=not phone, by_phone=by_phone)
    with connection.cursor() as cursor:
        statement.execute(cursor, params)
        row = cursor.fetchone()
    return _facts_from_row(row, store=store)


def _facts_from_row(row: tuple, *, store) -> ContactFacts:
    policy_id, *rest = row
    policy_values, rest = rest[:len(_POLICY_FIELDS)], rest[len(_POLICY_FIELDS):]
    optouts, consent, inquiry_at, address, attempt_times, cart_attempts, dnc_lists, suppressed = rest
    if policy_id is not None:
        policy = instance_from_row(CompliancePolicy, _POLICY_ATTNAMES, [policy_id, store.pk, *policy_values],
                                   using=connection.alias)
    else:
        policy = CompliancePolicy(store_id=store.pk)  # no row: the safe defaults
    return ContactFacts(
        policy=policy,
        optouts={scope: OptOutFact(**{**fact, "at": _timestamp(fact["at"])})
                 for scope, fact in (_json(optouts) or {}).items()},
        consent=_consent(_json(consent)),
        inquiry_at=inquiry_at,
        address=(address[0], address[1]) if address else ("", ""),
        dnc_lists=[DncListFact(**{**fact, "last_full_import_at": _timestamp(fact["last_full_import_at"])})
                   for fact in _json(dnc_lists) or []],
        attempt_times=attempt_times,
        cart_attempts=cart_attempts,
        suppressed=suppressed,
    )


def _consent(fact: dict | None) -> ConsentFact | None:
    return ConsentFact(granted=fact["granted"], basis=fact["basis"], at=_timestamp(fact["at"])) if fact else None


def _saved_pk(instance) -> int | None:
    """The instance's primary key; like the ORM, refuse an unsaved instance rather than match nothing."""
    if instance is not None and instance.pk is None:
        raise ValueError(f"{type(instance).__name__} instance is not saved")
    return instance.pk if instance is not None else None


def _json(value):
    """psycopg loads json columns; one configured to load them as text works too."""
    return json.loads(value) if isinstance(value, str) else value


def _timestamp(value: str | None) -> datetime | None:
    """A timestamp from a json column (ISO 8601), in UTC like the ORM's."""
    return datetime.fromisoformat(value).astimezone(UTC) if value is not None else None


def last_attempt_at(*, channel: str, phone: str = "", email: str = "") -> datetime | None:
    identity = Q(phone=phone) if phone else Q(email=email.lower())
    return (
        ContactAttempt.objects.filter(identity, channel=channel).order_by("-at").values_list("at", flat=True).first()
    )


def decisions(*, phone: str = "", channel: str = "", allowed: bool | None = None, store=None) -> QuerySet:
    """The audit log, newest first, for supervisors' and admins' searches.

    `phone` is what the searcher typed: a number as people write it ("(415) 555-0101", "+44 20 7946 0958") finds
    its E.164 form, a part of one typed so far ("415 555") the numbers holding those digits, anything else an
    email containing it."""
    rows = ContactDecision.objects.select_related("store", "requested_by").order_by("-at", "-pk")
    number = search_digits(phone) if phone else None
    if number and number.startswith("+"):
        rows = rows.filter(phone=number)
    elif number:
        rows = rows.filter(phone__contains=number)
    elif phone:
        rows = rows.filter(email__icontains=phone)
    if channel:
        rows = rows.filter(channel=channel)
    if allowed is not None:
        rows = rows.filter(allowed=allowed)
    if store is not None:
        rows = rows.filter(store=store)
    return rows


def store_last_texting(*, phone: str):
    """The store that last texted this number, to answer in its name."""
    attempt = (
        ContactAttempt.objects.filter(phone=phone, channel="sms").select_related("store").order_by("-at").first()
    )
    return attempt.store if attempt else None


def dnc_list_overview() -> QuerySet:
    return DncList.objects.order_by("kind", "name")


def recent_dnc_imports(limit: int | None = 20):
    rows = DncImport.objects.select_related("dnc_list", "requested_by").order_by("-created_at")
    return rows[:limit] if limit else rows
