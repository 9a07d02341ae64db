"""Every URL against every kind of visitor: anonymous, the agent whose call it is, another agent, the store's
supervisor, another store's supervisor and an admin. A URL added without an entry here fails the test, so nobody
ships a page without deciding who may see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from agents.models import AgentProfile, Call, FrictionReason, ValuePoint
from compliance.models import ContactAttempt, ContactDecision, DncImport, DncList
from compliance.services.unsubscribe import unsubscribe_token
from core.access import AGENT, SUPERVISOR
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
ROLES = ("anonymous", "agent", "other_agent", "supervisor", "other_supervisor", "admin")
LOGIN, FORBIDDEN, MISSING = 302, 403, 404


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, *, anonymous: int = LOGIN) -> dict[str, int]:
    return {"anonymous": anonymous, **dict.fromkeys(ROLES[1:], status)}


SUPERVISORS = {"anonymous": LOGIN, "agent": FORBIDDEN, "other_agent": FORBIDDEN, "supervisor": 200,
               "other_supervisor": 200, "admin": 200}
# The store's own things: another store's supervisor gets "not found", as if they did not exist.
STORE_SUPERVISORS = {**SUPERVISORS, "other_supervisor": MISSING}
ADMINS = {"anonymous": LOGIN, "agent": FORBIDDEN, "other_agent": FORBIDDEN, "supervisor": FORBIDDEN,
          "other_supervisor": FORBIDDEN, "admin": 200}
# A call is its agent's own: anyone else gets "not found", supervisors and admins included.
CALL_OWNER = {"anonymous": LOGIN, "agent": 200, "other_agent": MISSING, "supervisor": MISSING,
              "other_supervisor": MISSING, "admin": MISSING}

# name -> (method, path (formatted with the fixtures' ids), {role: status})
MATRIX = {
    "dashboards:home": ("get", "/", signed_in(200)),
    "dashboards:dashboard": ("get", "/dashboards/", SUPERVISORS),
    "dashboards:live": ("get", "/dashboards/live/", SUPERVISORS),
    # An empty action on an alert: refused above the floor (422) for those who may act at all.
    "dashboards:live-hand": ("post", "/dashboards/live/hand/", {**SUPERVISORS, **dict.fromkeys(
        ("supervisor", "other_supervisor", "admin"), 422)}),
    "dashboards:live-notice": ("post", "/dashboards/live/notice/", {**SUPERVISORS, **dict.fromkeys(
        ("supervisor", "other_supervisor", "admin"), 422)}),
    "healthz": ("get", "/healthz", everyone(200)),
    "favicon": ("get", "/favicon.ico", everyone(302)),  # to the icon in static/
    "login": ("get", "/login/", everyone(200)),
    "logout": ("get", "/logout/", everyone(405)),  # POST only
    "admin": ("get", "/admin/", {**dict.fromkeys(ROLES[:-1], LOGIN), "admin": 200}),
    "webhook-shopify": ("post", "/webhooks/shopify/", everyone(401)),  # unsigned: refused, whoever asks
    "webhook-woocommerce": ("post", "/webhooks/woocommerce/", everyone(401)),
    "webhook-twilio-sms": ("post", "/webhooks/twilio/sms/", everyone(403)),
    "webhook-twilio-sms-status": ("post", "/webhooks/twilio/sms/status/", everyone(403)),
    "webhook-twilio-voice": ("post", "/webhooks/twilio/voice/", everyone(403)),
    "webhook-twilio-voice-status": ("post", "/webhooks/twilio/voice/status/", everyone(403)),
    # The REST API takes store tokens only: a signed-in person is no store.
    "api:carts": ("get", "/api/v1/carts/", everyone(401)),
    "api:cart-detail": ("get", "/api/v1/carts/{cart}/", everyone(401)),
    "api:orders": ("post", "/api/v1/orders/", everyone(401)),
    "api-schema": ("get", "/api/schema/", everyone(200)),
    "api-docs": ("get", "/api/docs/", everyone(200)),
    "api-redoc": ("get", "/api/redoc/", everyone(200)),
    "recovery:cart-list": ("get", "/carts/", SUPERVISORS),
    "carts:detail": ("get", "/carts/{cart}/", STORE_SUPERVISORS),
    "agents:team": ("get", "/agents/", SUPERVISORS),
    "agents:script": ("get", "/agents/script/", SUPERVISORS),
    "agents:script-edit": ("get", "/agents/script/value/{value_point}/", STORE_SUPERVISORS),
    "agents:script-line": ("get", "/agents/script/lines/{store}/opening/", STORE_SUPERVISORS),
    # The preview saves nothing: it answers the line as typed (here none: the default) on a sample cart.
    "agents:script-line-preview": ("post", "/agents/script/lines/{store}/opening/preview/", STORE_SUPERVISORS),
    "console:home": ("get", "/agent/", signed_in(200)),
    "console:status": ("post", "/agent/status/", signed_in(302)),
    "console:notices": ("get", "/agent/notices/", signed_in(200)),
    "console:notice-dismiss": ("post", "/agent/notices/dismiss/", signed_in(422)),  # no notice named: refused
    "console:next": ("post", "/agent/next/", signed_in(302)),
    "console:voice-token": ("get", "/agent/voice/token/", signed_in(200)),
    "console:call": ("get", "/agent/calls/{call}/", CALL_OWNER),
    "console:step": ("post", "/agent/calls/{call}/step/", {**CALL_OWNER, "agent": 422}),  # an empty answer
    "console:pass": ("post", "/agent/calls/{call}/pass/", CALL_OWNER),
    "console:end": ("post", "/agent/calls/{call}/end/", {**CALL_OWNER, "agent": 422}),  # the call was not dialed
    "console:back": ("post", "/agent/calls/{call}/back/1/", {**CALL_OWNER, "agent": 422}),  # nothing to go back to
    "console:send-link": ("post", "/agent/calls/{call}/link/", {**CALL_OWNER, "agent": 422}),
    "console:invoice": ("post", "/agent/calls/{call}/invoice/", {**CALL_OWNER, "agent": 422}),
    "console:paid": ("post", "/agent/calls/{call}/paid/", {**CALL_OWNER, "agent": 422}),
    "console:callback": ("post", "/agent/calls/{call}/callback/", {**CALL_OWNER, "agent": 422}),
    # The owner reaches the gate, which refuses this customer (no usable number): 422 with its reasons.
    "console:dial": ("post", "/agent/calls/{call}/dial/", {**CALL_OWNER, "agent": 422}),
    # A GET shows the line; the offline line's poll is a POST, since it advances the simulated call.
    "console:line": ("post", "/agent/calls/{call}/line/", CALL_OWNER),
    "console:hang-up": ("post", "/agent/calls/{call}/hangup/", CALL_OWNER),
    "compliance:decision-list": ("get", "/compliance/decisions/", SUPERVISORS),
    "compliance:audit-list": ("get", "/compliance/audit/", ADMINS),
    "compliance:dnc-lists": ("get", "/compliance/dnc/", ADMINS),
    "compliance:dnc-numbers": ("get", "/compliance/dnc/numbers/", ADMINS),
    "compliance:dnc-import": ("get", "/compliance/dnc/imports/{dnc_import}/", ADMINS),
    # An admin's answer sends them back to the import's page (which says this import awaits no confirmation).
    "compliance:dnc-import-confirm": ("post", "/compliance/dnc/imports/{dnc_import}/confirm/",
                                      {**ADMINS, "admin": 302}),
    "compliance:dnc-import-cancel": ("post", "/compliance/dnc/imports/{dnc_import}/cancel/",
                                     {**ADMINS, "admin": 302}),
    # No line was rejected, so there is no report: admins get "not found", everyone else no further than before.
    "compliance:dnc-import-rejected": ("get", "/compliance/dnc/imports/{dnc_import}/rejected.csv",
                                       {**ADMINS, "admin": MISSING}),
    "unsubscribe": ("get", "/unsubscribe/{token}/", everyone(200)),  # the link in every email
}


def url_names() -> set[str]:
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    names.add("admin")  # Django's admin: one entry, its own staff check guards every page
                    continue
                walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and not str(pattern.pattern).startswith("static"):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_has_an_entry():
    assert url_names() - set(MATRIX) == set(), "add the new URLs to MATRIX with who may use them"
    assert set(MATRIX) - url_names() == set(), "remove the entries of URLs that are gone"


@pytest.fixture
def world(shopify_store, tmp_path, settings):
    settings.DNC_REPORTS_DIR = tmp_path
    users = {
        "agent": UserFactory(username="maya", role=AGENT),
        "other_agent": UserFactory(username="sam", role=AGENT),
        "supervisor": UserFactory(username="jordan", role="Supervisors"),
        "other_supervisor": UserFactory(username="riley", role="Supervisors"),
        "admin": UserFactory(username="alex", role="Admins", is_staff=True, is_superuser=True),
    }
    AgentProfile.objects.create(user=users["supervisor"]).stores.add(shopify_store)
    AgentProfile.objects.create(user=users["other_supervisor"]).stores.add(StoreFactory(name="Other store"))
    customer = CustomerFactory(store=shopify_store, email="ana@example.com")
    cart = CartFactory(store=shopify_store, customer=customer)
    call = Call.objects.create(cart=cart, agent=users["agent"], opened_at=timezone.now() - timedelta(minutes=1))
    dnc_list = DncList.objects.create(name="national", kind="national")
    dnc_import = DncImport.objects.create(dnc_list=dnc_list, file_name="list.txt")
    ids = {"cart": cart.pk, "call": call.pk, "dnc_import": dnc_import.pk, "store": shopify_store.pk,
           "value_point": ValuePoint.objects.create(store=shopify_store, text="Free returns").pk,
           "token": unsubscribe_token(email="ana@example.com", store_id=shopify_store.pk)}
    return users, ids


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_who_may_use_each_url(client, world, name):
    users, ids = world
    method, path, expected = MATRIX[name]
    seen = {}
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        response = getattr(client, method)(path.format(**ids), **({"HTTP_HX_REQUEST": "true"}
                                                                   if method == "post" else {}))
        seen[role] = 302 if response.status_code == 204 and response.get("HX-Redirect") else response.status_code
    assert seen == expected


# The one write a read may make: the audit trail records who read personal data. Nothing else: a dashboard reads
# the roll-ups beat built and never builds them (dashboards.rollups), so no GET writes a roll-up either.
READ_RECORDS = ("compliance_auditevent",)
SQL_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)\"?", re.IGNORECASE)


def dialed_a_minute_ago(call: Call) -> None:
    """A call on the line, so a read that would move it on (a simulated customer answering) has the chance to."""
    at = timezone.now() - timedelta(minutes=1)
    decision = ContactDecision.objects.create(at=at, requester="agent:maya", store=call.cart.store,
                                              channel="voice", allowed=True)
    call.attempt = ContactAttempt.objects.create(decision=decision, store=call.cart.store, cart=call.cart,
                                                 channel="voice", agent=call.agent, at=at)
    call.line_status = "initiated"
    call.save(update_fields=["attempt", "line_status"])


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_no_get_changes_state(client, world, name):
    """Every URL (so every new one too), read with a GET by each kind of visitor, writes nothing but the audit
    trail: a prefetch, a reload or a crawler following links never advances a call or changes a record."""
    users, ids = world
    _method, path, _expected = MATRIX[name]
    dialed_a_minute_ago(Call.objects.get(pk=ids["call"]))
    for role in ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        with CaptureQueriesContext(connection) as queries:
            client.get(path.format(**ids))
        writes = {match.group(2) for query in queries if (match := SQL_WRITE.match(query["sql"]))}
        assert writes <= set(READ_RECORDS), f"GET {path} as {role} wrote {sorted(writes)}"
# Writes to the call script, for every role and a supervisor whose profile names no store (who sees every store).
# What applies to every store (the shared friction reasons, every-store value points) is the admins' to write: a
# supervisor's write is refused with 403, or on the form (422) when they leave a new item's store blank; the store's
# own reasons, value points and spoken lines are its supervisors' (another store's supervisor: "not found", or not a
# store they may choose).
WRITE_ROLES = (*ROLES, "unscoped_supervisor")
ADMINS_WRITE = {**ADMINS, "unscoped_supervisor": FORBIDDEN, "admin": 302}
STORE_WRITE = {**SUPERVISORS, "supervisor": 302, "unscoped_supervisor": 302, "admin": 302}
VALUE_POINT = {"text": "Lifetime warranty", "product_keyword": "", "position": "1", "is_active": "on"}
WRITES = {
    "add an every-store friction reason": ("/agents/script/", {"kind": "friction", "friction-store": "",
                                                               "friction-label": "Gift wrapping",
                                                               "friction-code": "gift_wrapping",
                                                               "friction-position": "5"},
                                           {**SUPERVISORS, "supervisor": 422, "other_supervisor": 422,
                                            "unscoped_supervisor": 422, "admin": 302}),
    "edit the store's friction reason": ("/agents/script/friction/{store_friction}/",
                                         {"store": "{store}", "label": "Frame size", "code": "frame_size",
                                          "position": "1", "is_active": "on"},
                                         {**STORE_WRITE, "other_supervisor": MISSING}),
    "save the store's opening line": ("/agents/script/lines/{store}/opening/",
                                      {"text": "Hi {{customer_first_name}}"},
                                      {**STORE_WRITE, "other_supervisor": MISSING}),
    "put the store's opening line back to the default": ("/agents/script/lines/{store}/opening/", {"reset": "1"},
                                                         {**STORE_WRITE, "other_supervisor": MISSING}),
    "edit a friction reason": ("/agents/script/friction/{friction}/",
                               {"label": "Price", "code": "price", "position": "1", "is_active": "on"}, ADMINS_WRITE),
    "add an every-store value point": ("/agents/script/", {"kind": "value", "value-store": "",
                                                           **{f"value-{k}": v for k, v in VALUE_POINT.items()}},
                                       {**SUPERVISORS, "supervisor": 422, "other_supervisor": 422,
                                        "unscoped_supervisor": 422, "admin": 302}),
    "edit an every-store value point": ("/agents/script/value/{every_store_point}/", {"store": "", **VALUE_POINT},
                                        ADMINS_WRITE),
    "add a value point for the store": ("/agents/script/", {"kind": "value", "value-store": "{store}",
                                                            **{f"value-{k}": v for k, v in VALUE_POINT.items()}},
                                        {**STORE_WRITE, "other_supervisor": 422}),
    "edit the store's value point": ("/agents/script/value/{value_point}/", {"store": "{store}", **VALUE_POINT},
                                     {**STORE_WRITE, "other_supervisor": MISSING}),
}


@pytest.fixture
def script_world(world):
    users, ids = world
    users = {**users, "unscoped_supervisor": UserFactory(username="casey", role=SUPERVISOR)}
    store = ValuePoint.objects.get(pk=ids["value_point"]).store_id
    ids = {**ids, "store": store, "friction": FrictionReason.objects.get(code="price").pk,
           "every_store_point": ValuePoint.objects.create(store=None, text="Price match guarantee").pk,
           "store_friction": FrictionReason.objects.create(store_id=store, code="frame_size", label="Frame").pk}
    return users, ids


@pytest.mark.parametrize("name", sorted(WRITES))
def test_who_may_write_the_call_script(client, script_world, name):
    users, ids = script_world
    path, data, expected = WRITES[name]
    seen = {}
    for role in WRITE_ROLES:
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        response = client.post(path.format(**ids), {key: value.format(**ids) for key, value in data.items()})
        seen[role] = response.status_code
    assert seen == expected
