"""The gate's table: its world (a store, a policy, four DNC lists with one number each), the cases every
reason code is tested with, and the clock they are read at. Shared by the gate's tests and its caches' tests; the
`world` fixture is in conftest.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from compliance.models import CompliancePolicy, ContactAttempt, ContactDecision, DncList, OptOut
from compliance.models.choices import ConsentBasis, OptOutScope
from compliance.services.consent import consent_record
from compliance.services.optouts import optin_record, optout_record
from tests.factories import CartFactory, CustomerFactory

# Wednesday 2026-11-18, 15:00 UTC = 10:00 in New York (EST).
NOON_NY = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
NY = "+12125550100"
NY_NATIONAL_DNC = "+12125550111"
NY_INTERNAL_DNC = "+12125550133"
TX_STATE_DNC = "+15125550122"
UK_TPS = "+442079460001"
FL = "+13055550150"
FL_EASTERN_850 = "+18502221234"
FL_CENTRAL_850 = "+18504441234"
AL = "+12055550100"
TX = "+15125550100"
CT = "+12035550100"
UK = "+442079460958"


def local(hour: int, minute: int = 0, *, tz_offset: int = -5, day: datetime = NOON_NY) -> datetime:
    """A UTC instant for a wall-clock time at a fixed UTC offset on `day`'s date."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=tz_offset)


@dataclass
class World:
    store: Any
    policy: CompliancePolicy
    lists: dict[str, DncList]

    def customer(self, phone: str, *, country="US", region="", email="pat@example.com", cart_age=timedelta(days=1),
                 at=NOON_NY):
        customer = CustomerFactory(store=self.store, phone=phone if phone.startswith("+") else "", email=email,
                                   country=country, region=region)
        if cart_age is not None:
            CartFactory(store=self.store, customer=customer, platform_created_at=at - cart_age)
        return customer

    def attempts(self, phone: str, *times: datetime, channel="voice", cart=None, email=""):
        for moment in times:
            decision = ContactDecision.objects.create(at=moment, requester="test", channel=channel, allowed=True,
                                                      phone=phone, email=email)
            ContactAttempt.objects.create(decision=decision, store=self.store, channel=channel, phone=phone,
                                          email=email, at=moment, cart=cart)


@dataclass
class Case:
    name: str
    phone: str = NY
    channel: str = "voice"
    at: datetime = NOON_NY
    email: str = ""
    setup: Any = None  # callable(world) run before the check; may return kwargs for check_contact
    customer: dict = field(default_factory=dict)  # World.customer(...) overrides; None = no customer
    allowed: bool = True
    reasons: tuple[str, ...] = ()
    basis: str | None = None
    next_allowed_at: datetime | None | str = "any"
    notes: bool = False


def sms_consent(world: World, phone: str = NY, granted: bool = True, days_ago: int = 1):
    consent_record(store=world.store, channel="sms", phone=phone, granted=granted, source="shopify_checkout",
                   at=NOON_NY - timedelta(days=days_ago))


def set_policy(**changes):
    def apply(world: World):
        for name, value in changes.items():
            setattr(world.policy, name, value)
        world.policy.save()

    return apply


def both(*steps):
    def apply(world: World):
        for step in steps:
            step(world)

    return apply


def opt(scope: str, *, action="out", minutes_ago: int = 60, phone: str = NY, email: str = ""):
    def apply(world: World):
        record = optout_record if action == "out" else optin_record
        record(scope=scope, source=OptOut.Source.SMS, phone=phone, email=email,
               at=NOON_NY - timedelta(minutes=minutes_ago))

    return apply


def national_imported(days_ago: int | None):
    def apply(world: World):
        national = world.lists["national"]
        national.last_full_import_at = None if days_ago is None else NOON_NY - timedelta(days=days_ago)
        national.save()

    return apply


def prior_calls(*minutes_ago: int, channel="voice", phone=NY, email=""):
    def apply(world: World):
        world.attempts(phone, *(NOON_NY - timedelta(minutes=m) for m in minutes_ago), channel=channel, email=email)

    return apply


CASES = [
    Case("clean call inside hours relies on the inquiry", basis=ConsentBasis.EBR_INQUIRY),
    Case("national registry", phone=NY_NATIONAL_DNC, allowed=False, reasons=("dnc_national",), next_allowed_at=None),
    Case("internal list", phone=NY_INTERNAL_DNC, allowed=False, reasons=("dnc_internal",)),
    Case("state list", phone=TX_STATE_DNC, at=local(12, tz_offset=-6), allowed=False, reasons=("dnc_state",)),
    Case("UK TPS", phone=UK_TPS, at=datetime(2026, 11, 18, 12, tzinfo=UTC), customer={"country": "GB"},
         setup=set_policy(call_basis=ConsentBasis.LEGITIMATE_INTEREST), allowed=False, reasons=("dnc_uk_tps",)),
    Case("UK number not on TPS under legitimate interest", phone=UK, at=datetime(2026, 11, 18, 12, tzinfo=UTC),
         customer={"country": "GB"}, setup=set_policy(call_basis=ConsentBasis.LEGITIMATE_INTEREST),
         basis=ConsentBasis.LEGITIMATE_INTEREST),
    Case("too short to be a number", phone="+1212555", customer=None, allowed=False, reasons=("invalid_number",)),
    Case("national format, not E.164", phone="2125550100", customer=None, allowed=False, reasons=("invalid_number",)),
    Case("missing phone", phone="", customer=None, allowed=False, reasons=("invalid_number",)),
    Case("bad email", channel="email", email="not-an-email", allowed=False, reasons=("invalid_email",)),
    Case("opted out of calls", setup=opt(OptOutScope.VOICE), allowed=False, reasons=("opted_out_voice",)),
    Case("SMS opt-out does not stop calls", setup=opt(OptOutScope.SMS)),
    Case("SMS opt-out stops texts", channel="sms", setup=both(sms_consent, opt(OptOutScope.SMS)), allowed=False,
         reasons=("opted_out_sms",)),
    Case("spoken all-contact opt-out stops calls", setup=opt(OptOutScope.ALL), allowed=False,
         reasons=("opted_out_all",)),
    Case("spoken all-contact opt-out stops texts", channel="sms", setup=both(sms_consent, opt(OptOutScope.ALL)),
         allowed=False, reasons=("opted_out_all",)),
    Case("START after STOP resumes texts", channel="sms",
         setup=both(sms_consent, opt(OptOutScope.SMS, minutes_ago=60),
                    opt(OptOutScope.SMS, action="in", minutes_ago=5)),
         basis=ConsentBasis.EXPRESS_WRITTEN),
    Case("STOP after START wins again", channel="sms",
         setup=both(sms_consent, opt(OptOutScope.SMS, action="in", minutes_ago=60),
                    opt(OptOutScope.SMS, minutes_ago=5)),
         allowed=False, reasons=("opted_out_sms",)),
    Case("opt-in to texts after an all-contact opt-out reopens texts only", channel="sms",
         setup=both(sms_consent, opt(OptOutScope.ALL, minutes_ago=60),
                    opt(OptOutScope.SMS, action="in", minutes_ago=5))),
    Case("opt-in to texts does not reopen calls",
         setup=both(opt(OptOutScope.ALL, minutes_ago=60), opt(OptOutScope.SMS, action="in", minutes_ago=5)),
         allowed=False, reasons=("opted_out_all",)),
    Case("email unsubscribe", channel="email", email="pat@example.com",
         setup=opt(OptOutScope.EMAIL, phone="", email="pat@example.com"), allowed=False, reasons=("opted_out_email",)),
    Case("email relies on the inquiry", channel="email", email="pat@example.com", basis=ConsentBasis.EBR_INQUIRY),
    Case("internationalised email", channel="email", email="amélie@exemple.fr", customer={"email": "amélie@exemple.fr"},
         basis=ConsentBasis.EBR_INQUIRY),
    Case("texts need consent", channel="sms", allowed=False, reasons=("no_consent",), next_allowed_at=None),
    Case("texts with consent", channel="sms", setup=sms_consent, basis=ConsentBasis.EXPRESS_WRITTEN),
    Case("withdrawn text consent", channel="sms", setup=lambda w: sms_consent(w, granted=False), allowed=False,
         reasons=("no_consent",)),
    Case("no inquiry, no consent", customer={"cart_age": None}, allowed=False, reasons=("no_consent",)),
    Case("inquiry 91 days ago has lapsed", customer={"cart_age": timedelta(days=91)}, allowed=False,
         reasons=("no_consent",)),
    Case("inquiry 89 days ago still counts", customer={"cart_age": timedelta(days=89)}),
    Case("express consent for calls", customer={"cart_age": None},
         setup=lambda w: consent_record(store=w.store, channel="voice", phone=NY, granted=True, source="agent",
                                        at=NOON_NY - timedelta(days=400)),
         basis=ConsentBasis.EXPRESS_WRITTEN),
    Case("national list 32 days old is stale", setup=national_imported(32), allowed=False, reasons=("list_stale",)),
    Case("national list 30 days old is fresh", setup=national_imported(30)),
    Case("national list never imported", setup=national_imported(None), allowed=False, reasons=("list_stale",)),
    Case("stale list allowed by the admin",
         setup=both(national_imported(40), set_policy(allow_stale_national_list=True)),
         notes=True),
    Case("EBR exemption lets a registry number be called", phone=NY_NATIONAL_DNC,
         setup=set_policy(ebr_exempts_from_dnc=True), notes=True),
    Case("EBR exemption never overrides the internal list", phone=NY_INTERNAL_DNC,
         setup=set_policy(ebr_exempts_from_dnc=True), allowed=False, reasons=("dnc_internal",)),
    Case("07:59 in New York", at=local(7, 59), allowed=False, reasons=("outside_calling_hours",),
         next_allowed_at=local(8, 0)),
    Case("08:00 in New York", at=local(8, 0)),
    Case("20:59 in New York", at=local(20, 59)),
    Case("21:00 in New York", at=local(21, 0), allowed=False, reasons=("outside_calling_hours",),
         next_allowed_at=local(8, 0, day=NOON_NY + timedelta(days=1))),
    Case("Florida ends at 20:00", phone=FL, at=local(20, 0), customer={"region": "FL"}, allowed=False,
         reasons=("outside_calling_hours",)),
    Case("Florida 19:59", phone=FL, at=local(19, 59), customer={"region": "FL"}),
    Case("850-222 is Eastern: 08:30 there", phone=FL_EASTERN_850, at=local(8, 30), customer={"region": ""}),
    Case("850-444 is Central: only 07:30 there", phone=FL_CENTRAL_850, at=local(8, 30), customer={"region": ""},
         allowed=False, reasons=("outside_calling_hours",), next_allowed_at=local(8, 0, tz_offset=-6)),
    Case("address state overrides the number's", phone=NY, at=local(20, 30), customer={"region": "FL"},
         allowed=False, reasons=("outside_calling_hours",)),
    Case("spring forward: 08:00 EDT is fine", at=datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
    Case("spring forward: 07:59 EDT is not", at=datetime(2026, 3, 8, 11, 59, tzinfo=UTC), allowed=False,
         reasons=("outside_calling_hours",), next_allowed_at=datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
    Case("fall back: 08:00 EST", at=datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    Case("fall back: 07:30 EST (12:30 UTC)", at=datetime(2026, 11, 1, 12, 30, tzinfo=UTC), allowed=False,
         reasons=("outside_calling_hours",), next_allowed_at=datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
    Case("no Sunday calls in Alabama", phone=AL, customer={"region": "AL"},
         at=datetime(2026, 11, 22, 17, 0, tzinfo=UTC), allowed=False, reasons=("no_calls_sunday",),
         next_allowed_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
    Case("no calls on Christmas Day in Alabama", phone=AL, customer={"region": "AL"},
         at=datetime(2026, 12, 25, 16, 0, tzinfo=UTC), setup=national_imported(-30), allowed=False,
         reasons=("no_calls_holiday",)),
    Case("Christmas Day in New York is a normal day", at=datetime(2026, 12, 25, 16, 0, tzinfo=UTC),
         setup=national_imported(-30)),
    Case("Texas Sunday before noon", phone=TX, customer={"region": "TX"},
         at=datetime(2026, 11, 22, 17, 30, tzinfo=UTC), allowed=False, reasons=("outside_calling_hours",),
         next_allowed_at=datetime(2026, 11, 22, 18, 0, tzinfo=UTC)),
    Case("Texas Sunday at noon", phone=TX, customer={"region": "TX"}, at=datetime(2026, 11, 22, 18, 0, tzinfo=UTC)),
    Case("Connecticut starts at 09:00", phone=CT, customer={"region": "CT"}, at=local(8, 30), allowed=False,
         reasons=("outside_calling_hours",), next_allowed_at=local(9, 0)),
    Case("three calls in 24 hours", setup=prior_calls(23 * 60, 10 * 60, 5 * 60), allowed=False,
         reasons=("frequency_cap_24h",), next_allowed_at=NOON_NY + timedelta(hours=1)),
    Case("a call 25 hours ago no longer counts", setup=prior_calls(25 * 60, 10 * 60, 5 * 60)),
    Case("minimum gap between calls", setup=prior_calls(30), allowed=False, reasons=("minimum_gap",),
         next_allowed_at=NOON_NY + timedelta(minutes=90)),
    Case("Florida caps at 3 even if the store allows 5", phone=FL, customer={"region": "FL"},
         setup=both(set_policy(max_calls_per_24h=5), prior_calls(600, 400, 200, phone=FL)),
         allowed=False, reasons=("frequency_cap_24h",)),
    Case("one text per 24 hours", channel="sms", setup=both(sms_consent, prior_calls(120, channel="sms")),
         allowed=False, reasons=("frequency_cap_24h",)),
    Case("email cap", channel="email", email="pat@example.com",
         setup=prior_calls(100, 50, channel="email", phone="", email="pat@example.com"), allowed=False,
         reasons=("frequency_cap_24h",)),
    Case("lasting and waiting reasons together: no next time", phone=NY_NATIONAL_DNC, at=local(22, 0),
         allowed=False, reasons=("dnc_national", "outside_calling_hours"), next_allowed_at=None),
    Case("unknown channel fails closed", channel="fax", allowed=False, reasons=("internal_error",)),
    Case("naive time fails closed", at=datetime(2026, 11, 18, 15, 0), allowed=False,  # noqa: DTZ001
         reasons=("internal_error",)),
]
