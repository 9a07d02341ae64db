from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo.management.commands.seed_demo import CART_COUNT, DEMO_SHOP_DOMAIN
from recovery.models import Cart, Store

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_is_idempotent_and_prints_the_logins():
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    assert Cart.objects.count() == CART_COUNT
    assert Store.objects.filter(shop_domain=DEMO_SHOP_DOMAIN, webhook_secret="").exists()
    assert get_user_model().objects.filter(username__startswith="agent").count() == 3
    assert "supervisor  / demo-supervisor" in second.getvalue()
    assert "supervisor2 / demo-supervisor-2 Supervisors (sees coffee-gear.example.com only)" in second.getvalue()
    riley = get_user_model().objects.get(username="supervisor2")
    assert list(riley.agent_profile.stores.values_list("shop_domain", flat=True)) == ["coffee-gear.example.com"]
    assert f"{CART_COUNT} carts created" in first.getvalue()
    assert "0 carts created" in second.getvalue()


def test_seed_demo_spreads_carts_over_90_days_with_outcomes():
    call_command("seed_demo", verbosity=0)

    statuses = set(Cart.objects.values_list("status", flat=True))
    assert {"open", "recovered", "lost"} <= statuses
    oldest = Cart.objects.exclude(abandoned_at=None).order_by("abandoned_at").first()
    newest = Cart.objects.exclude(abandoned_at=None).order_by("-abandoned_at").first()
    assert (newest.abandoned_at - oldest.abandoned_at).days >= 80
    assert all(cart.line_items.exists() for cart in Cart.objects.all()[:20])


def test_demo_login_works(client):
    call_command("seed_demo", verbosity=0)

    # Through the sign-in form, as a person does (the lockout's backend needs the request).
    assert client.post("/login/", {"username": "supervisor", "password": "demo-supervisor"}).status_code == 302
    assert client.get("/carts/").status_code == 200


def test_the_demo_stores_are_named_as_customers_know_them_not_by_their_platform():
    # given a demo store seeded before, under a name that says its platform
    Store.objects.create(shop_domain=DEMO_SHOP_DOMAIN, name="Demo E-Bikes (Shopify)", platform="shopify")

    # when the demo is seeded
    call_command("seed_demo", verbosity=0)

    # then the script will say the store's name, and no store's name says its platform
    assert Store.objects.get(shop_domain=DEMO_SHOP_DOMAIN).name == "Demo E-Bikes"
    for store in Store.objects.all():
        assert store.get_platform_display().split(" ")[0] not in store.name
        assert "(" not in store.name
