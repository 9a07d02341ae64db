"""The gate's rules, applied to the facts read for one contact: each adds its denials (or notes) to an
`Evaluation`. They do no I/O of their own, except the calling rules (cached in `hours`)."""

from __future__ import annotations

from datetime import timedelta

from compliance.models import Channel, DncList, OptOut
from compliance.models.choices import ConsentBasis, OptOutScope
from compliance.selectors import ContactFacts, DncListFact, OptOutFact
from compliance.services import hours
from compliance.services.gate.decision import WAITABLE, Evaluation
from core.phones import valid_number

DNC_REASONS: dict[str, str] = {
    DncList.Kind.NATIONAL: "dnc_national",
    DncList.Kind.STATE: "dnc_state",
    DncList.Kind.INTERNAL: "dnc_internal",
    DncList.Kind.UK_TPS: "dnc_uk_tps",
    DncList.Kind.UK_CTPS: "dnc_uk_ctps",
}
EXEMPTIBLE_BY_EBR = {DncList.Kind.NATIONAL, DncList.Kind.STATE}
COUNTRY_LISTS = {
    "+1": {DncList.Kind.NATIONAL, DncList.Kind.STATE},
    "+44": {DncList.Kind.UK_TPS, DncList.Kind.UK_CTPS},
}


def apply_rules(evaluation: Evaluation, facts: ContactFacts, *, channel: str, store, phone: str, customer,
                cart) -> None:
    """Every rule, in the order their reasons are reported."""
    if cart is not None and getattr(cart, "in_control_group", False):
        evaluation.deny("control_group", "This cart is in the control group: nobody contacts it, so that the "
                                         "team's effect on recoveries can be measured.")
    if facts.suppressed:
        evaluation.deny("suppressed_after_erasure", "This person's data was erased at their request and the "
                                                    "suppression kept in its place forbids any further contact.")
    _check_optouts(evaluation, facts.optouts, channel=channel)
    _check_basis(evaluation, facts, store=store, channel=channel)
    if channel != Channel.EMAIL:
        _check_dnc(evaluation, facts, phone=phone)
        _check_hours(evaluation, phone=phone, customer=customer, address=facts.address)
    _check_caps(evaluation, facts, channel=channel, cart=cart)


def is_valid_e164(phone: str) -> bool:
    """Whether the number is dialable as written (international form, a valid number)."""
    return bool(phone) and phone.startswith("+") and valid_number(phone) is not None


def is_valid_email(email: str) -> bool:
    """A deliverable-looking address, internationalised ones included (Django's validator refuses those)."""
    local, at_sign, domain = email.rpartition("@")
    labels = domain.split(".")
    return bool(at_sign and local and len(email) <= 254 and len(labels) > 1 and all(labels)
                and not any(char.isspace() for char in email))


def _check_optouts(evaluation: Evaluation, optouts: dict[str, OptOutFact], *, channel: str) -> None:
    """The newest row per scope decides; an opt-in to this channel after an all-contact opt-out reopens it."""
    own, everything = optouts.get(channel), optouts.get(OptOutScope.ALL)
    if own and own.action == OptOut.Action.OPT_OUT:
        evaluation.deny(f"opted_out_{channel}", _optout_sentence(own, f"{Channel(channel).label.lower()}s"))
    elif everything and everything.action == OptOut.Action.OPT_OUT:
        reopened = own and own.action == OptOut.Action.OPT_IN and own.at > everything.at
        if not reopened:
            evaluation.deny("opted_out_all", _optout_sentence(everything, "all contact"))


def _optout_sentence(row: OptOutFact, what: str) -> str:
    return f"Opted out of {what} on {row.at:%Y-%m-%d %H:%M} UTC ({row.source_label})."


def _check_basis(evaluation: Evaluation, facts: ContactFacts, *, store, channel: str) -> None:
    """Consent on record decides; without it texts are denied and calls and emails fall back on the
    store's basis: legitimate interest, or an inquiry (a checkout) within the store's EBR duration."""
    consent, policy = facts.consent, facts.policy
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
        if facts.inquiry_at is not None and evaluation.at - facts.inquiry_at <= policy.ebr_duration:
            evaluation.basis = basis
            return
        days = policy.ebr_duration.days
        evaluation.deny("no_consent", f"No consent on record and no checkout with {store} in the last {days} days.")
        return
    evaluation.deny("no_consent", "The store requires express written consent for calls, and none is on record.")


def _applicable_lists(lists: list[DncListFact], phone: str) -> list[DncListFact]:
    """The internal list always; national and state lists for +1 numbers, TPS and CTPS for +44."""
    kinds = {DncList.Kind.INTERNAL}
    for prefix, prefix_kinds in COUNTRY_LISTS.items():
        if phone.startswith(prefix):
            kinds |= prefix_kinds
    return [dnc_list for dnc_list in lists if dnc_list.kind in kinds]


def _check_dnc(evaluation: Evaluation, facts: ContactFacts, *, phone: str) -> None:
    """Deny for each applicable list holding the number, unless the store lets an inquiry override
    national and state lists (noted); record the versions consulted."""
    policy = facts.policy
    applicable = _applicable_lists(facts.dnc_lists, phone)
    evaluation.list_versions = {dnc_list.name: dnc_list.version for dnc_list in applicable}
    exempt = policy.ebr_exempts_from_dnc and evaluation.basis == ConsentBasis.EBR_INQUIRY
    for dnc_list in applicable:
        if not dnc_list.listed:
            continue
        if exempt and dnc_list.kind in EXEMPTIBLE_BY_EBR:
            evaluation.notes.append(f"On the {dnc_list.name} list; called under the store's business-relationship "
                                    "exemption.")
            continue
        evaluation.deny(DNC_REASONS[dnc_list.kind], f"The number is on the {dnc_list.kind_label} "
                                                     f"({dnc_list.name}, version {dnc_list.version}).")
    if phone.startswith("+1"):
        _check_national_list_fresh(evaluation, policy=policy, lists=applicable)


def _check_national_list_fresh(evaluation: Evaluation, *, policy, lists: list[DncListFact]) -> None:
    """A US number can't be cleared against a national list that is missing or too old to rely on."""
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


def _check_hours(evaluation: Evaluation, *, phone: str, customer, address: tuple[str, str]) -> None:
    """Calling hours where the recipient may be: the given customer's address, else the store's newest
    customer with the number, else the number alone."""
    if customer is not None and (customer.country or customer.region):
        country, region = customer.country, customer.region
    else:
        country, region = address
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


def _check_caps(evaluation: Evaluation, facts: ContactFacts, *, channel: str, cart) -> None:
    """The store's caps (a state's 24-hour cap for calls when tighter), counted over every store."""
    per_day, per_cart, gap = _caps(facts.policy, channel)
    if channel == Channel.VOICE and evaluation.state_cap is not None:
        per_day = min(per_day, evaluation.state_cap)
    times = facts.attempt_times
    if len(times) >= per_day:
        frees_at = times[len(times) - per_day] + timedelta(hours=24)
        evaluation.deny("frequency_cap_24h", f"{len(times)} {channel} attempts in the last 24 hours; "
                                             f"the limit is {per_day}.", until=frees_at)
    if gap and times and evaluation.at - times[-1] < gap:
        minutes = int(gap.total_seconds() // 60)
        evaluation.deny("minimum_gap", f"The last attempt was at {times[-1]:%H:%M} UTC; attempts must be at least "
                                       f"{minutes} minutes apart.", until=times[-1] + gap)
    if cart is not None and facts.cart_attempts >= per_cart:
        evaluation.deny("cart_attempt_limit", f"This cart has had the maximum of {per_cart} {channel} attempts.")
