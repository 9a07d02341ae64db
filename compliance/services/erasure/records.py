"""Erasing compliance's personal data table by table, for a scope some privacy request chose (a person, a store, a
batch of closed carts); the apps above erase their own tables through their registered steps (`steps`). Each
function changes only rows that still hold personal data, so running it twice changes nothing the second time,
and returns how many rows it changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection
from django.db.models import Q, QuerySet

from compliance.models import (
    Channel,
    ConsentRecord,
    ContactAttempt,
    ContactDecision,
    DncList,
    InboundMessage,
    LegalHold,
    OptOut,
    PrivacyRequest,
    Suppression,
)
from compliance.models.choices import OptOutScope
from compliance.models.privacy import suppression_digest
from compliance.services.dnc import dnc_remove_numbers

ERASED = "[erased]"  # what free text (notes, bodies) becomes; identity columns become ''
ERASED_BODY = b'{"erased": true}'
# TSR (16 CFR 310.5, as amended in 2024): call detail records and consent records are kept 5 years; TCPA
# claims run 4 years. Leap days aside, 5 x 365 days is the shortest reading that still meets "5 years".
LEGAL_RETENTION = timedelta(days=5 * 366)
CALL_RECORD_HOLD = "Call detail record: kept 5 years (Telemarketing Sales Rule, 16 CFR 310.5(a))"
CONSENT_RECORD_HOLD = "Consent record: kept 5 years (Telemarketing Sales Rule, 16 CFR 310.5(a); TCPA)"
NEEDLE_MIN_LENGTH = 6  # shorter identifiers (small order numbers) would match unrelated webhook bodies


def request_bind(request: PrivacyRequest) -> None:
    """Name the request for the rest of the transaction: the append-only tables' trigger lets a row's personal
    columns be blanked only then (migration 0010)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('compliance.privacy_request', %s, true)", [str(request.pk)])


def suppressions_record(*, phones: Iterable[str], emails: Iterable[str], request: PrivacyRequest,
                        requested: bool) -> int:
    """Keep a keyed hash of every number and address that must stay uncontactable once erased: those whose
    newest opt-out row per scope is an opt-out, numbers on an internal DNC list, and all of them when the
    person asked to be erased to stop contact (`requested`). Returns how many new suppressions were made."""
    wanted: set[tuple[str, str, str]] = set()
    internal = _on_internal_lists(phones)
    for identity, value in [("phone", phone) for phone in phones] + [("email", email) for email in emails]:
        digest = suppression_digest(**{identity: value})
        for scope in _opted_out_scopes(**{identity: value}):
            wanted.add((digest, scope, Suppression.Reason.OPTED_OUT))
        if value in internal:
            wanted.add((digest, OptOutScope.ALL, Suppression.Reason.DNC_INTERNAL))
        if requested:
            wanted.add((digest, OptOutScope.ALL, Suppression.Reason.REQUESTED))
    new = {(digest, scope): reason for digest, scope, reason in sorted(wanted)}
    existing = set(Suppression.objects.filter(digest__in={digest for digest, _ in new})
                   .values_list("digest", "scope"))
    rows = [Suppression(digest=digest, scope=scope, reason=reason, request=request)
            for (digest, scope), reason in new.items() if (digest, scope) not in existing]
    Suppression.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _opted_out_scopes(*, phone: str = "", email: str = "") -> list[str]:
    rows = OptOut.objects.filter(phone=phone) if phone else OptOut.objects.filter(email=email)
    newest = rows.order_by("scope", "-at", "-pk").distinct("scope").values_list("scope", "action")
    return [scope for scope, action in newest if action == OptOut.Action.OPT_OUT]


def _on_internal_lists(phones: Iterable[str]) -> set[str]:
    phones = sorted(set(phones))
    list_ids = list(DncList.objects.filter(kind=DncList.Kind.INTERNAL).values_list("pk", flat=True))
    if not phones or not list_ids:
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM compliance_dncentry WHERE dnc_list_id = ANY(%s) AND phone = ANY(%s)",
                       [list_ids, phones])
        return {phone for (phone,) in cursor.fetchall()}


def internal_dnc_remove(*, phones: Iterable[str], request: PrivacyRequest) -> int:
    """Take erased numbers off the internal lists once their suppression hash stands in for them."""
    listed = sorted(_on_internal_lists(phones))
    removed = 0
    for dnc_list in DncList.objects.filter(kind=DncList.Kind.INTERNAL) if listed else []:
        removed += dnc_remove_numbers(dnc_list=dnc_list, phones=listed, source=f"privacy request {request.pk}")
    return removed


def attempts_erase(attempts: QuerySet[ContactAttempt], *, request: PrivacyRequest, counts: Counter) -> None:
    """Calls are call detail records: their number and decision stay, under a legal hold until 5 years after
    the call. Texts and emails lose their number or address, and their decisions theirs."""
    calls = attempts.filter(channel=Channel.VOICE)
    counts["legal_holds_call_records"] += _holds_place(
        LegalHold.Record.CONTACT_ATTEMPT, calls.values_list("pk", "at"), reason=CALL_RECORD_HOLD, request=request)
    counts["contact_attempts_erased"] += (
        attempts.exclude(channel=Channel.VOICE).filter(~Q(phone="") | ~Q(email="") | ~Q(provider_error=""))
        .update(phone="", email="", provider_error="")
    )
    decisions_erase(ContactDecision.objects.filter(attempt__in=attempts), counts=counts)


def decisions_erase(decisions: QuerySet[ContactDecision], *, counts: Counter, keep_call_records: bool = True) -> None:
    """Blank the number and address of gate decisions (append-only: allowed by the trigger for a bound request).

    A call's decision is part of its call detail record (it shows the number was screened against the DNC
    lists) and is kept with it, unless `keep_call_records` is off (the record's hold has run out).
    """
    if keep_call_records:
        decisions = decisions.exclude(attempt__channel=Channel.VOICE)
    counts["contact_decisions_erased"] += decisions.filter(~Q(phone="") | ~Q(email="")).update(phone="", email="")


def optouts_erase(optouts: QuerySet[OptOut], *, counts: Counter) -> None:
    """Blank opt-outs' number, address and evidence (an inbound text's body): their effect survives as a
    suppression, recorded before this runs."""
    counts["optouts_erased"] += optouts.filter(~Q(phone="") | ~Q(email="") | ~Q(evidence="")).update(
        phone="", email="", evidence="")


def inbound_messages_erase(messages: QuerySet[InboundMessage], *, counts: Counter) -> None:
    """Blank inbound texts' number and body; the sid stays, so a replay of an erased text is still refused."""
    holding = messages.filter(~Q(from_number="") | (~Q(body="") & ~Q(body=ERASED)))
    counts["inbound_messages_erased"] += holding.update(from_number="", body=ERASED)


def consents_hold(consents: QuerySet[ConsentRecord], *, request: PrivacyRequest, counts: Counter) -> None:
    """Consent records are kept whole for 5 years from when consent was given or withdrawn, and marked."""
    counts["legal_holds_consent_records"] += _holds_place(
        LegalHold.Record.CONSENT_RECORD, consents.values_list("pk", "at"), reason=CONSENT_RECORD_HOLD,
        request=request)


def _holds_place(record_type: str, rows: Iterable[tuple[int, object]], *, reason: str,
                 request: PrivacyRequest) -> int:
    rows = dict(rows)
    held = set(LegalHold.objects.filter(record_type=record_type, record_id__in=rows).values_list("record_id",
                                                                                                 flat=True))
    holds = [LegalHold(record_type=record_type, record_id=pk, reason=reason, retained_until=at + LEGAL_RETENTION,
                       request=request) for pk, at in rows.items() if pk not in held]
    LegalHold.objects.bulk_create(holds, ignore_conflicts=True)
    return len(holds)
