"""Every screen, as each role reaches it, at 1366 and 800 px wide: nothing overflows sideways, the browser reports no
error and no failed request (a missing favicon included), and axe-core finds no serious or critical accessibility
violation.

The screens are the URL names of the URLconfs that answer a GET with a page; `test_every_named_url_is_walked_or_
said_why_not` fails when a URL name is added without being listed here or under NOT_SCREENS with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from agents.models import AgentProfile, FrictionReason, ValuePoint
from compliance.models import DncImport, DncList
from compliance.services import check_contact
from compliance.services.unsubscribe import unsubscribe_token
from core.access import ADMIN, AGENT, SUPERVISOR
from recovery.models import CartLineItem
from tests.e2e.helpers import axe_violations
from tests.factories import CartFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 800)
HEIGHT = 768
ROLES = ("anonymous", "agent", "supervisor", "admin")

# URL names that are not screens a person opens: what answers them instead.
NOT_SCREENS = {
    "logout": "POST only (signs out)",
    "healthz": "JSON for the load balancer", "favicon": "a redirect to the icon",
    "webhook-shopify": "POST from Shopify", "webhook-woocommerce": "POST from WooCommerce",
    "webhook-twilio-sms": "POST from Twilio", "webhook-twilio-sms-status": "POST from Twilio",
    "webhook-twilio-voice": "POST from Twilio", "webhook-twilio-voice-status": "POST from Twilio",
    "api-schema": "the OpenAPI document (YAML)",
    "compliance:dnc-import-confirm": "POST only", "compliance:dnc-import-cancel": "POST only",
    "compliance:dnc-import-rejected": "a CSV download",
    "console:status": "POST only", "console:next": "POST only (the agent's N key walks it here)",
    "console:voice-token": "JSON for the voice SDK",
    "console:step": "POST only", "console:back": "POST only", "console:dial": "POST only",
    "console:hang-up": "POST only", "console:line": "an htmx fragment polled by the call page",
    "console:send-link": "POST only", "console:invoice": "POST only", "console:paid": "POST only",
    "console:callback": "POST only", "console:pass": "POST only", "console:end": "POST only",
    "console:notices": "an htmx fragment polled by the console", "console:notice-dismiss": "POST only",
    "agents:script-line-preview": "an htmx fragment of the line editor",
    "dashboards:live-hand": "POST only", "dashboards:live-notice": "POST only",
}
# Django's admin has a URL per model and action (its index stands for its screens); the REST API answers JSON.
NAMESPACES_NOT_WALKED = {"admin", "api"}


@dataclass(frozen=True)
class Screen:
    name: str  # the URL name
    path: str
    role: str


def named_urls(resolver=None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace not in NAMESPACES_NOT_WALKED:
                names |= named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


@pytest.fixture
def world(db, calling_hours_clock, shopify_store) -> dict[str, object]:
    """One of everything a screen lists, made by the factories and the services: carts with items, the gate's
    decisions (an email and long store names among them: the widest rows), a DNC import, the script's items."""
    now = timezone.now()
    UserFactory(username="ada", first_name="Ada", last_name="Admin", role=ADMIN, is_staff=True, is_superuser=True)
    supervisor = UserFactory(username="rosa", first_name="Rosa", last_name="Reyes", role=SUPERVISOR)
    AgentProfile.objects.create(user=supervisor)
    agent = UserFactory(username="maya", first_name="Maya", last_name="Ortiz", role=AGENT)
    AgentProfile.objects.create(user=agent)
    shopify_store.name = "Demo E-Bikes (Shopify storefront)"
    shopify_store.save()
    national = DncList.objects.create(name="national", kind="national", last_full_import_at=now - timedelta(days=1))
    DncImport.objects.create(dnc_list=national, mode="add", file_name="additions-2026-11-long-file-name.txt",
                             status="done", lines_read=4, numbers_loaded=3, lines_rejected=1,
                             rejected_report="3,not a phone number,not-a-number\n")
    carts = []
    for n, (phone, first) in enumerate((("+12125550181", "Jane"), ("+12125550182", "Ravi"))):
        customer = CustomerFactory(store=shopify_store, first_name=first, phone=phone,
                                   email=f"{first.lower()}.customer.with.a.long.address@example.com")
        cart = CartFactory(store=shopify_store, customer=customer, route="call_first", priority_score=90 - n,
                           priority_reason="Call first: $640 cart, payment declined at checkout",
                           total_value=Decimal("640.00"), payment_failed=True,
                           abandoned_at=now - timedelta(minutes=5), platform_created_at=now - timedelta(minutes=20),
                           checkout_url="https://demo-store.myshopify.com/checkouts/abc/recover")
        CartLineItem.objects.create(cart=cart, title="Trailhead E-Bike 500W, Large / Slate", quantity=1,
                                    unit_price=Decimal("640.00"))
        check_contact(channel="voice", store=shopify_store, phone=phone, customer=customer, cart=cart,
                      requested_by=agent, requester="agent")
        check_contact(channel="email", store=shopify_store, email=customer.email, customer=customer, cart=cart)
        carts.append(cart)
    reason = FrictionReason.objects.order_by("pk").first() or FrictionReason.objects.create(code="price",
                                                                                           label="Price")
    point = ValuePoint.objects.create(store=shopify_store, text="2-year warranty on the frame, motor and battery")
    return {"cart": carts[0], "reason": reason, "point": point, "import": national.imports.get(),
            "unsubscribe": unsubscribe_token(email=carts[0].customer.email, store_id=shopify_store.pk)}


def screens(world: dict[str, object]) -> list[Screen]:
    cart, reason, point, dnc_import = world["cart"], world["reason"], world["point"], world["import"]
    return [
        Screen("login", reverse("login"), "anonymous"),
        Screen("unsubscribe", reverse("unsubscribe", args=[world["unsubscribe"]]), "anonymous"),
        Screen("dashboards:home", reverse("dashboards:home"), "agent"),
        Screen("console:home", reverse("console:home"), "agent"),
        Screen("console:call", "", "agent"),  # reached by taking the next cart; see walk()
        Screen("dashboards:home", reverse("dashboards:home"), "supervisor"),
        Screen("dashboards:dashboard", reverse("dashboards:dashboard"), "supervisor"),
        Screen("dashboards:live", reverse("dashboards:live"), "supervisor"),
        Screen("recovery:cart-list", reverse("recovery:cart-list"), "supervisor"),
        Screen("carts:detail", reverse("carts:detail", args=[cart.pk]), "supervisor"),
        Screen("agents:team", reverse("agents:team"), "supervisor"),
        Screen("agents:script", reverse("agents:script"), "supervisor"),
        Screen("agents:script-edit", reverse("agents:script-edit", args=["value", point.pk]), "supervisor"),
        Screen("agents:script-line", reverse("agents:script-line", args=[cart.store_id, "opening"]), "supervisor"),
        Screen("compliance:decision-list", reverse("compliance:decision-list"), "supervisor"),
        Screen("api-docs", reverse("api-docs"), "supervisor"),
        Screen("api-redoc", reverse("api-redoc"), "supervisor"),
        Screen("agents:script-edit", reverse("agents:script-edit", args=["friction", reason.pk]), "admin"),
        Screen("compliance:dnc-lists", reverse("compliance:dnc-lists"), "admin"),
        Screen("compliance:dnc-numbers", reverse("compliance:dnc-numbers"), "admin"),
        Screen("compliance:dnc-import", reverse("compliance:dnc-import", args=[dnc_import.pk]), "admin"),
        Screen("compliance:audit-list", reverse("compliance:audit-list"), "admin"),
        Screen("admin:index", reverse("admin:index"), "admin"),
    ]


USERNAMES = {"agent": "maya", "supervisor": "rosa", "admin": "ada"}
# Third-party screens whose accessibility is their authors' (Swagger UI, ReDoc): axe is not asked there.
AXE_NOT_OURS = {"api-docs", "api-redoc"}
# ReDoc's bundle shows a logo from its makers' server, which the Content-Security-Policy blocks (as it should).
EXPECTED_COMPLAINTS = ("cdn.redoc.ly/redoc/logo-mini.svg",)


# The first elements that reach past the window's right edge, to say what overflows.
WIDEST = """width => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1).slice(0, 4)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ').join('.') : ''))"""


class Watch:
    """The browser's complaints while a screen loads: console errors, uncaught exceptions, answers of 400 and up."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", lambda message: self.problems.append(f"console {message.type}: {message.text[:160]}")
                if message.type == "error" and not any(known in message.text for known in EXPECTED_COMPLAINTS)
                else None)
        page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        page.on("response", lambda response: self.problems.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)

    def take(self) -> list[str]:
        found, self.problems[:] = list(self.problems), []
        return found


def sign_in(page, username: str) -> None:
    page.goto(reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def check(page, screen: Screen, width: int, folder) -> list[str]:
    """What is wrong with the screen on show."""
    page.wait_for_load_state("networkidle")
    problems = []
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate(WIDEST, width)
        problems.append(f"{scroll_width} px wide (widest: {', '.join(wide)})")
    if screen.name not in AXE_NOT_OURS:
        problems += axe_violations(page)
    page.screenshot(path=folder / f"{width}-{screen.role}-{screen.name.replace(':', '-')}.png", full_page=True)
    return problems


def walk(browser, live_server, world, role: str, width: int, folder) -> list[str]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": HEIGHT})
    page = context.new_page()
    watch = Watch(page)
    problems: list[str] = []
    try:
        if role != "anonymous":
            sign_in(page, USERNAMES[role])
            problems += [f"{role} sign-in: {p}" for p in watch.take()]
        for screen in (s for s in screens(world) if s.role == role):
            if screen.name == "console:call":
                page.goto(reverse("console:home"))
                page.click("#next-cart")
                page.wait_for_url("**/agent/calls/*/")
            else:
                page.goto(screen.path)
            found = check(page, screen, width, folder) + watch.take()
            problems += [f"{width}px {role} {screen.name}: {p}" for p in found]
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_screen_fits_loads_cleanly_and_is_accessible(browser, live_server, world, width, screenshots):
    # given one of everything, and each role's screens
    folder = screenshots / "every-screen"
    folder.mkdir(exist_ok=True)

    # when each role walks its screens at this width
    problems = [problem for role in ROLES for problem in walk(browser, live_server, world, role, width, folder)]

    # then none overflows, complains or has a serious accessibility violation
    assert problems == [], "\n".join(problems)


def test_every_named_url_is_walked_or_said_why_not(world):
    walked = {screen.name for screen in screens(world)}
    assert named_urls() - walked - NOT_SCREENS.keys() == set()
    assert walked & NOT_SCREENS.keys() == set()


def test_a_narrow_console_keeps_the_customer_and_cart_beside_the_script(browser, live_server, world, screenshots):
    # given an agent on a call in an 800 px window
    context = browser.new_context(base_url=live_server.url, viewport={"width": 800, "height": HEIGHT})
    page = context.new_page()
    sign_in(page, USERNAMES["agent"])
    page.goto(reverse("console:home"))
    page.click("#next-cart")
    page.wait_for_url("**/agent/calls/*/")

    # then the customer (with the compliance verdict) and the cart start beside the script, in the first screen
    script = page.locator("#step").bounding_box()
    for panel in ("#customer-panel", "#compliance-status", "#cart-panel"):
        box = page.locator(panel).bounding_box()
        assert box["y"] < script["y"] + script["height"] and box["y"] < HEIGHT, f"{panel} is below the script"
        assert box["x"] >= script["x"] + script["width"], f"{panel} is not beside the script"
    page.screenshot(path=screenshots / "narrow-console.png")
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_each_step_of_the_call_script_fits_and_is_accessible(browser, live_server, world, width, screenshots):
    """The console's steps are swapped in by htmx under one URL: each is judged as it shows."""
    folder = screenshots / "every-screen"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": HEIGHT})
    page = context.new_page()
    watch = Watch(page)
    sign_in(page, USERNAMES["agent"])
    page.goto(reverse("console:home"))
    page.click("#next-cart")
    page.wait_for_url("**/agent/calls/*/")
    problems: list[str] = []

    def judge(state: str) -> None:
        screen = Screen(f"console:call-{state}", page.url, "agent")
        problems.extend(f"{width}px {state}: {p}" for p in check(page, screen, width, folder) + watch.take())

    # given a call on the line
    page.keyboard.press("d")
    page.wait_for_selector("#line-state:has-text('Connected')")
    judge("1-opening-connected")

    # then each step, walked by mouse
    page.check("#step input[name=answer][value=reached]")
    page.click("#step-submit")
    for heading, state in (("2 · Friction", "2-friction"), ("3 · Objections", "3-objections"),
                           ("4 · Value", "4-value"), ("5 · Completion", "5-completion")):
        page.wait_for_selector(f"#step h2:has-text('{heading}')")
        judge(state)
        if state in ("2-friction", "3-objections"):
            page.locator("#step label.option").first.click()
        if state == "3-objections":
            page.check("#step input[name=resolved][value=yes]")
        page.click("#step-submit")
    page.keyboard.press("h")
    page.wait_for_selector("#line-state:has-text('Call ended')")
    page.wait_for_selector("#step h2:has-text('Wrap-up')")
    judge("6-wrap-up")
    context.close()

    assert problems == [], "\n".join(problems)
