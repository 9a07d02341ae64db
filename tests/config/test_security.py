"""Sign-in lockout, session expiry and the Content-Security-Policy."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from core.access import SUPERVISOR
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def sign_in(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR="198.51.100.7")


def test_five_failed_sign_ins_lock_that_username_from_that_address_for_a_while(client):
    import time_machine

    UserFactory(username="rosa", role=SUPERVISOR)
    UserFactory(username="sam", role=SUPERVISOR)
    with time_machine.travel("2026-11-20 12:00Z", tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert sign_in(client, "rosa", "wrong").status_code == 200  # the form again, with its error
        locked = sign_in(client, "rosa", "wrong")
        assert locked.status_code == 429 and "Too many failed sign-ins" in locked.content.decode()
        assert "15 minutes" in locked.content.decode()
        assert sign_in(client, "rosa", "pw").status_code == 429  # even the right password, while locked
        assert sign_in(client, "sam", "pw").status_code == 302  # another username is not locked
        clock.shift(timedelta(minutes=16))
        assert sign_in(client, "rosa", "pw").status_code == 302


def test_a_successful_sign_in_resets_the_count(client):
    UserFactory(username="rosa", role=SUPERVISOR)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "rosa", "wrong")
    assert sign_in(client, "rosa", "pw").status_code == 302
    client.post("/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "rosa", "wrong").status_code == 200


def test_a_session_lasts_a_shift_and_ends_with_the_browser(client):
    UserFactory(username="rosa", role=SUPERVISOR)
    assert sign_in(client, "rosa", "pw").status_code == 302
    assert client.session.get_expiry_age() == 9 * 3600
    assert client.session.get_expire_at_browser_close()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["max-age"]


def test_every_page_carries_a_policy_without_inline_scripts_or_styles(client, supervisor_user):
    client.force_login(supervisor_user)
    policy = client.get("/dashboards/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert "Content-Security-Policy" in client.get("/login/").headers


def test_only_the_api_browsers_and_the_admin_are_allowed_inline_styles(admin_user):
    from django.test import Client

    def directives(policy: str) -> dict[str, str]:
        # By name: the header's directives come in no promised order.
        return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())

    redoc = directives(Client().get("/api/redoc/")["Content-Security-Policy"])
    assert redoc["style-src"] == "'self' 'unsafe-inline'" and redoc["script-src"].startswith("'self'")
    docs = Client().get("/api/docs/")
    policy = directives(docs["Content-Security-Policy"])
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["script-src"] == "'self'"
    assert "?script=" in docs.content.decode()
    admin = Client()
    admin.force_login(admin_user)
    policy = directives(admin.get("/admin/")["Content-Security-Policy"])
    assert policy["style-src"] == "'self' 'unsafe-inline'" and policy["script-src"] == "'self'"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"(\sstyle\s*=|<style\b)", re.IGNORECASE)


def test_no_template_has_an_inline_script_handler_or_style():
    found = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE):
            found += [f"{template.relative_to(TEMPLATES)}: {match.group(0)}" for match in pattern.finditer(text)]
    assert found == []  # json_script blocks are rendered by the filter, not written in templates
