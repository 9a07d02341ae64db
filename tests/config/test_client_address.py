"""Behind reverse proxies, the audit trail, the unsubscribe evidence and the sign-in lockout see the client's
address (the one the trusted proxy appended to X-Forwarded-For), never the proxy's nor one the client forged."""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from compliance.models import OptOut
from compliance.models.trail import AuditEvent
from compliance.services.unsubscribe import unsubscribe_token
from config.settings.integrations import security
from core.access import SUPERVISOR
from core.client_address import client_ip
from tests.factories import CartFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"
FORGED = "203.0.113.66"


def behind_proxy(client_address: str, *, forged: str = "") -> dict[str, str]:
    """What the app receives through one proxy: the proxy connects, and appends what it saw to the header."""
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


@pytest.mark.parametrize(("count", "remote", "forwarded", "expected"), [
    (0, "198.51.100.7", "203.0.113.66", "198.51.100.7"),  # no proxy trusted: the header is the client's word
    (1, PROXY, "198.51.100.7", "198.51.100.7"),
    (1, PROXY, "203.0.113.66, 198.51.100.7", "198.51.100.7"),  # the forged leftmost entry is never read
    (2, PROXY, "203.0.113.66, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
    (2, PROXY, "198.51.100.7", PROXY),  # too short: it did not come through every proxy
    (1, PROXY, "", PROXY),
    (1, PROXY, "not-an-address", PROXY),
    (1, PROXY, " 2001:db8::1 ", "2001:db8::1"),
])
def test_the_client_is_the_entry_the_outermost_trusted_proxy_appended(settings, count, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_audit_trail_records_the_client_behind_the_proxy_not_a_forged_one(client, settings, supervisor_user):
    # given one trusted proxy, and a client that puts a forged address at the front of X-Forwarded-For
    settings.TRUSTED_PROXY_COUNT = 1
    cart = CartFactory(store=StoreFactory())
    client.force_login(supervisor_user)
    # when it views a customer
    assert client.get(f"/carts/{cart.pk}/", **behind_proxy("198.51.100.7", forged=FORGED)).status_code == 200
    # then the trail holds the address the proxy saw
    (event,) = AuditEvent.objects.filter(action="viewed")
    assert event.ip == "198.51.100.7"


def test_without_a_trusted_proxy_the_header_is_ignored(client, settings, supervisor_user):
    settings.TRUSTED_PROXY_COUNT = 0
    cart = CartFactory(store=StoreFactory())
    client.force_login(supervisor_user)
    client.get(f"/carts/{cart.pk}/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=FORGED)
    (event,) = AuditEvent.objects.filter(action="viewed")
    assert event.ip == "198.51.100.7"


def test_the_unsubscribe_evidence_names_the_client_behind_the_proxy(client, settings, shopify_store):
    settings.TRUSTED_PROXY_COUNT = 1
    token = unsubscribe_token(email="pat@example.com", store_id=shopify_store.pk)
    client.post(f"/unsubscribe/{token}/", **behind_proxy("198.51.100.7", forged=FORGED))
    evidence = OptOut.objects.get().evidence
    assert "198.51.100.7" in evidence and FORGED not in evidence and PROXY not in evidence


def test_failed_sign_ins_lock_out_the_client_behind_the_proxy_not_its_neighbours(client, settings):
    # given one trusted proxy in front of two clients
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="rosa", role=SUPERVISOR)

    def sign_in(client_address: str, password: str):
        return client.post("/login/", {"username": "rosa", "password": password},
                           **behind_proxy(client_address, forged=FORGED))

    # when one client fails to sign in AXES_FAILURE_LIMIT times
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in("198.51.100.7", "wrong").status_code == 200
    assert sign_in("198.51.100.7", "wrong").status_code == 429
    # then that client is locked out, even with the right password, while another behind the same proxy is not
    assert sign_in("198.51.100.7", "pw").status_code == 429
    assert sign_in("198.51.100.8", "pw").status_code == 302


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, 0),
    ({"AXES_PROXY_COUNT": "1"}, 1),  # the older name still works
    ({"TRUSTED_PROXY_COUNT": "2", "AXES_PROXY_COUNT": "1"}, 2),
])
def test_one_setting_counts_the_proxies_for_every_reader(monkeypatch, environ, expected):
    for name in ("TRUSTED_PROXY_COUNT", "AXES_PROXY_COUNT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    module = importlib.reload(security)
    proxies, resolver = module.TRUSTED_PROXY_COUNT, module.AXES_CLIENT_IP_CALLABLE
    assert proxies == expected and resolver == "core.client_address.client_ip"


def test_a_negative_proxy_count_is_refused(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT must be 0 or more"):
        importlib.reload(security)
    monkeypatch.delenv("TRUSTED_PROXY_COUNT")
    importlib.reload(security)
