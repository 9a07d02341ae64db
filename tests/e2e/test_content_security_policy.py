"""The screens work under the Content-Security-Policy: no violation is reported on any of them."""

from __future__ import annotations

import pytest

from core.access import ADMIN, AGENT, SUPERVISOR
from tests.factories import CartFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
    event => window.__violations.push(event.violatedDirective + ' ' + event.blockedURI));
"""


def sign_in(page, username: str, path: str) -> None:
    page.goto(f"/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def visit(page, paths: list[str]) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text[:90]}")
            if "Content Security Policy" in message.text else None)
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        problems += [f"{path}: {violation}" for violation in page.evaluate("window.__violations")]
    return problems


def test_supervisor_and_admin_screens_report_no_violation(page):
    UserFactory(username="ada", role=ADMIN, is_staff=True, is_superuser=True)
    UserFactory(username="rosa", role=SUPERVISOR)
    CartFactory(store=StoreFactory())
    page.add_init_script(WATCH)
    sign_in(page, "rosa", "/dashboards/")
    assert page.evaluate("!!Chart.getChart(document.getElementById('chart-carts'))")  # the charts drew
    problems = visit(page, ["/", "/dashboards/", "/dashboards/live/", "/carts/", "/agents/", "/agents/script/",
                            "/compliance/decisions/", "/api/docs/"])
    page.context.clear_cookies()
    sign_in(page, "ada", "/compliance/dnc/")
    problems += visit(page, ["/compliance/dnc/", "/compliance/dnc/numbers/", "/admin/"])
    assert problems == []


def test_the_agent_console_reports_no_violation(page):
    UserFactory(username="maya", role=AGENT)
    page.add_init_script(WATCH)
    sign_in(page, "maya", "/agent/")
    page.keyboard.press("n")  # ask for the next cart: htmx swaps the screen in
    page.wait_for_load_state("networkidle")
    assert visit(page, ["/agent/"]) == []
