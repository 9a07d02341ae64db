"""The contact gate: the one function every outbound call, text and email passes.

`check_contact` evaluates opt-outs, Do-Not-Call lists, the legal basis
(consent or an inquiry), calling hours in the recipient's local time and
frequency caps, writes its decision to the append-only audit log, and fails
closed: any error inside it denies contact. `contact_attempt_start` records an
allowed attempt in the same transaction as its decision, under a per-number
lock, so two agents (or an agent and a worker) cannot both pass a cap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import phonenumbers
from django.db import connection, transaction
from django.utils import timezone

from compliance import selectors
from compliance.models import Channel, ContactAttempt, ContactDecision, DncList, OptOut
from compliance.models.choices import ConsentBasis, OptOutScope
from compliance.services import hours

logger = logging.getLogger(__name__)

# Reasons that waiting resolves; any other denial has no next_allowed_at.
WAITABLE = {"outside_calling_hours", "no_calls_sunday", "no_calls_holiday", "frequency_cap_24h", "minimum_gap"}
DNC_REASONS = {
    DncList.Kind.NATIONAL: "dnc_national",
    DncList.Kind.STATE: "dnc_state",
    DncList.Kind.INTERNAL: "dnc_internal",
    DncList.Kind.UK_TPS: "dnc_uk_tps",
    DncList.Kind.UK_CTPS: "dnc_uk_ctps",
}
EXEMPTIBLE_BY_EBR = {DncList.Kind.NATIONAL, DncList.Kind.STATE}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...] = ()
    explanations: tuple[str, ...] = ()
    next_allowed_at: datetime | None = None
    basis: str = ""
    notes: tuple[str, ...] = ()
    list_versions: dict[str, int] = field(default_factory=dict)
    recipient_timezones: tuple[str, ...] = ()
    decision_id: int | None = None

    @property
    def messages(self) -> dict[str, str]:
        return dict(zip(self.reasons, self.explanations, strict=True))


@dataclass
class _Evaluation:
    """What the rules found so far; becomes a Decision."""

    at: datetime
    reasons: list[str] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    waits: list[datetime] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    basis: str = ""
    list_versions: dict[str, int] = field(default_factory=dict)
    timezones: tuple[str, ...] = ()
    locations: list = field(default_factory=list)
    state_cap: int | None = None

    def deny(self, code: str, sentence: str, *, until: datetime | None = None) -> None:
        self.reasons.append(code)
        self.explanations.append(sentence)
        if until is not None:
            self.waits.append(until)

    def decision(self) -> Decision:
        return Decision(
            allowed=not self.reasons, reasons=tuple(self.reasons), explanations=tuple(self.explanations),
            next_allowed_at=self._next_allowed_at(), basis=self.basis, notes=tuple(self.notes),
            list_versions=self.list_versions, recipient_timezones=self.timezones,
        )

    def _next_allowed_at(self) -> datetime | None:
        if not self.reasons or not set(self.reasons) <= WAITABLE or not self.waits:
            return None
        candidate = max(self.waits)
        if self.locations:  # a cap may free up at night: move on to the next calling window
            for _ in range(3):
                verdict = hours.calling_hours_check(locations=self.locations, at=candidate)
                if verdict.allowed or verdict.next_allowed_at is None:
                    break
                candidate = verdict.next_allowed_at
        return candidate


def check_contact(
    *,
    channel: str,
    store,
    phone: str | None = None,
    email: str | None = None,
    at: datetime | None = None,
    cart=None,
    customer=None,
    requested_by=None,
    requester: str = "system",
    audit: bool = True,
) -> Decision:
    """May `store` contact this person on `channel` at `at` (default now)? Fails closed."""
    at = at or timezone.now()
    try:
        with transaction.atomic():
            decision = _evaluate(channel=channel, store=store, phone=phone or "", email=email or "", at=at,
                                 cart=cart, customer=customer)
    except Exception as exc:  # fail closed: whatever went wrong, nobody is contacted
        logger.exception("Contact gate error; denying %s contact", channel)
        decision = Decision(
            allowed=False, reasons=("internal_error",),
            explanations=(f"The compliance check could not be completed ({type(exc).__name__}); "
                          "contact is denied until it can.",),
        )
    if not audit:
        return decision
    return _audit(decision, channel=channel, store=store, phone=phone or "", email=email or "", at=at,
                  requested_by=requested_by, requester=requester)


def _audit(decision: Decision, *, channel, store, phone, email, at, requested_by, requester) -> Decision:
    try:
        with transaction.atomic():
            row = ContactDecision.objects.create(
                at=at, requested_by=requested_by, requester=requester[:100], store=store, phone=phone[:32],
                email=email[:254], channel=channel[:10], allowed=decision.allowed, reasons=list(decision.reasons),
                explanations=list(decision.explanations), basis=decision.basis, notes=list(decision.notes),
                list_versions=decision.list_versions, recipient_timezones=list(decision.recipient_timezones),
                next_allowed_at=decision.next_allowed_at,
            )
    except Exception:
        logger.exception("Contact gate could not write its audit record; denying")
        return Decision(allowed=False, reasons=("audit_unavailable",),
                        explanations=("The decision could not be recorded in the audit log; contact is denied.",))
    return replace(decision, decision_id=row.pk)


def _evaluate(*, channel, store, phone, email, at, cart, customer) -> Decision:
    if timezone.is_naive(at):
        raise ValueError("check_contact needs an aware datetime")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    evaluation = _Evaluation(at=at)
    policy = selectors.policy_for_store(store)
    if channel == Channel.EMAIL:
        if not _valid_email(email):
            evaluation.deny("invalid_email", f"“{email}” is not a usable email address.")
            return evaluation.decision()
    elif not _is_valid_e164(phone):
        evaluation.deny("invalid_number", f"“{phone}” is not a valid phone number in international format.")
        return evaluation.decision()
    _check_optouts(evaluation, channel=channel, phone=phone, email=email)
    _check_basis(evaluation, policy=policy, store=store, channel=channel, phone=phone, email=email)
    if channel != Channel.EMAIL:
        _check_dnc(evaluation, policy=policy, phone=phone)
        _check_hours(evaluation, store=store, phone=phone, customer=customer)
    _check_caps(evaluation, policy=policy, channel=channel, phone=phone, email=email, cart=cart)
    return evaluation.decision()


def _is_valid_e164(phone: str) -> bool:
    if not phone or not phone.startswith("+"):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False


def _valid_email(email: str) -> bool:
    """A deliverable-looking address, internationalised ones included (Django's validator refuses those)."""
    local, at_sign, domain = email.rpartition("@")
    labels = domain.split(".")
    return bool(at_sign and local and len(email) <= 254 and len(labels) > 1 and all(labels)
                and not any(char.isspace() for char in email))


def _check_optouts(evaluation: _Evaluation, *, channel: str, phone: str, email: str) -> None:
    rows = selectors.latest_optouts(phone=phone) if channel != Channel.EMAIL else selectors.latest_optouts(email=email)
    own, everything = rows.get(channel), rows.get(OptOutScope.ALL)
    if own and own.action == OptOut.Action.OPT_OUT:
        evaluation.deny(f"opted_out_{channel}", _optout_sentence(own, f"{Channel(channel).label.lower()}s"))
    elif everything and everything.action == OptOut.Action.OPT_OUT:
        reopened = own and own.action == OptOut.Action.OPT_IN and own.at > everything.at
        if not reopened:
            evaluation.deny("opted_out_all", _optout_sentence(everything, "all contact"))


def _optout_sentence(row: OptOut, what: str) -> str:
    return f"Opted out of {what} on {row.at:%Y-%m-%d %H:%M} UTC ({row.get_source_display()})."


def _check_basis(evaluation: _Evaluation, *, policy, store, channel: str, phone: str, email: str) -> None:
    consent = selectors.latest_consent(store=store, channel=channel, phone=phone, email=email)
    if consent is not None and consent.granted:
        evaluation.basis = consent.basis
        return
    if consent is not None:
        evaluation.deny("no_consent", f"Consent for {channel} was withdrawn on {consent.at:%Y-%m-%d}.")
        return
    if channel == Channel.SMS:
        evaluation.deny("no_consent", "Marketing texts need the customer's consent, and none is on record.")
        return
    basis = policy.call_basis if channel == Channel.VOICE else ConsentBasis.EBR_INQUIRY
    if basis == ConsentBasis.LEGITIMATE_INTEREST:
        evaluation.basis = basis
        return
    if basis == ConsentBasis.EBR_INQUIRY:
        inquiry_at = selectors.latest_inquiry_at(store=store, phone=phone, email=email)
        if inquiry_at is not None and evaluation.at - inquiry_at <= policy.ebr_duration:
            evaluation.basis = basis
            return
        days = policy.ebr_duration.days
        evaluation.deny("no_consent", f"No consent on record and no checkout with {store} in the last {days} days.")
        return
    evaluation.deny("no_consent", "The store requires express written consent for calls, and none is on record.")


def _applicable_lists(lists: dict[int, DncList], phone: str) -> list[DncList]:
    country_lists = {
        "+1": {DncList.Kind.NATIONAL, DncList.Kind.STATE},
        "+44": {DncList.Kind.UK_TPS, DncList.Kind.UK_CTPS},
    }
    kinds = {DncList.Kind.INTERNAL}
    for prefix, prefix_kinds in country_lists.items():
        if phone.startswith(prefix):
            kinds |= prefix_kinds
    return [dnc_list for dnc_list in lists.values() if dnc_list.kind in kinds]


def _check_dnc(evaluation: _Evaluation, *, policy, phone: str) -> None:
    applicable = _applicable_lists(selectors.active_dnc_lists(), phone)
    evaluation.list_versions = {dnc_list.name: dnc_list.version for dnc_list in applicable}
    listed = selectors.dnc_list_ids_containing(phone)
    exempt = policy.ebr_exempts_from_dnc and evaluation.basis == ConsentBasis.EBR_INQUIRY
    for dnc_list in applicable:
        if dnc_list.pk not in listed:
            continue
        if exempt and dnc_list.kind in EXEMPTIBLE_BY_EBR:
            evaluation.notes.append(f"On the {dnc_list.name} list; called under the store's business-relationship "
                                    "exemption.")
            continue
        evaluation.deny(DNC_REASONS[dnc_list.kind], f"The number is on the {dnc_list.get_kind_display()} "
                                                     f"({dnc_list.name}, version {dnc_list.version}).")
    if phone.startswith("+1"):
        _check_national_list_fresh(evaluation, policy=policy, lists=applicable)


def _check_national_list_fresh(evaluation: _Evaluation, *, policy, lists: list[DncList]) -> None:
    national = next((dnc_list for dnc_list in lists if dnc_list.kind == DncList.Kind.NATIONAL), None)
    imported = national.last_full_import_at if national else None
    if imported is not None and evaluation.at - imported <= policy.national_list_max_age:
        return
    when = f"last fully imported {imported:%Y-%m-%d}" if imported else "never imported"
    if policy.allow_stale_national_list:
        evaluation.notes.append(f"National DNC list is stale ({when}); the store allows calling anyway.")
        return
    days = policy.national_list_max_age.days
    evaluation.deny("list_stale", f"The national Do-Not-Call list was {when}; lists older than {days} days "
                                  "cannot be relied on.")


def _check_hours(evaluation: _Evaluation, *, store, phone: str, customer) -> None:
    if customer is not None and (customer.country or customer.region):
        country, region = customer.country, customer.region
    else:
        country, region = selectors.customer_address(store=store, phone=phone)
    locations = hours.recipient_locations(phone=phone, country=country, region=region)
    verdict = hours.calling_hours_check(locations=locations, at=evaluation.at)
    evaluation.locations = locations
    evaluation.timezones = tuple(sorted({location.timezone for location in locations}))
    evaluation.state_cap = verdict.max_calls_per_24h
    for code, sentence in zip(verdict.reasons, verdict.explanations, strict=True):
        evaluation.deny(code, sentence, until=verdict.next_allowed_at if code in WAITABLE else None)


def _caps(policy, channel: str) -> tuple[int, int, timedelta | None]:
    """(per 24 hours, per cart, minimum gap) for a channel."""
    if channel == Channel.VOICE:
        return policy.max_calls_per_24h, policy.max_calls_per_cart, policy.min_gap_between_calls
    if channel == Channel.SMS:
        return policy.max_sms_per_24h, policy.max_sms_per_cart, None
    return policy.max_emails_per_24h, policy.max_emails_per_cart, None


def _check_caps(evaluation: _Evaluation, *, policy, channel: str, phone: str, email: str, cart) -> None:
    per_day, per_cart, gap = _caps(policy, channel)
    if channel == Channel.VOICE and evaluation.state_cap is not None:
        per_day = min(per_day, evaluation.state_cap)
    identity = {"phone": phone} if channel != Channel.EMAIL else {"email": email}
    times = selectors.attempt_times(channel=channel, since=evaluation.at - timedelta(hours=24), **identity)
    if len(times) >= per_day:
        frees_at = times[len(times) - per_day] + timedelta(hours=24)
        evaluation.deny("frequency_cap_24h", f"{len(times)} {channel} attempts in the last 24 hours; "
                                             f"the limit is {per_day}.", until=frees_at)
    if gap and times and evaluation.at - times[-1] < gap:
        minutes = int(gap.total_seconds() // 60)
        evaluation.deny("minimum_gap", f"The last attempt was at {times[-1]:%H:%M} UTC; attempts must be at least "
                                       f"{minutes} minutes apart.", until=times[-1] + gap)
    if cart is not None and selectors.cart_attempt_count(cart=cart, channel=channel) >= per_cart:
        evaluation.deny("cart_attempt_limit", f"This cart has had the maximum of {per_cart} {channel} attempts.")


def _lock_recipient(identity: str) -> None:
    """Serialise attempts to one number (or address) across agents and workers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"contact:{identity}"])


@transaction.atomic
def contact_attempt_start(
    *,
    channel: str,
    store,
    phone: str | None = None,
    email: str | None = None,
    cart=None,
    customer=None,
    agent=None,
    requester: str = "system",
    at: datetime | None = None,
) -> tuple[Decision, ContactAttempt | None]:
    """Ask the gate and, if allowed, record the attempt in the same transaction.

    Returns the decision and the attempt (None when denied).
    """
    at = at or timezone.now()
    _lock_recipient(phone or (email or "").lower())
    decision = check_contact(channel=channel, store=store, phone=phone, email=email, at=at, cart=cart,
                             customer=customer, requested_by=agent, requester=requester)
    if not decision.allowed:
        return decision, None
    attempt = ContactAttempt.objects.create(
        decision_id=decision.decision_id, store=store, cart=cart, channel=channel, phone=phone or "",
        email=(email or "").lower(), agent=agent, at=at,
    )
    return decision, attempt


def contact_attempt_finish(*, attempt: ContactAttempt, outcome: str, duration_seconds: int | None = None,
                           provider_id: str = "") -> ContactAttempt:
    """Complete the call detail record with what happened."""
    attempt.outcome = outcome
    attempt.duration_seconds = duration_seconds
    attempt.provider_id = provider_id or attempt.provider_id
    attempt.save(update_fields=["outcome", "duration_seconds", "provider_id"])
    return attempt
