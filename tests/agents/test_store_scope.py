"""Supervisors see their team's stores: the stores named in their profile (none named: every store). Agents see
only the carts they hold or held. Admins see everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agents.models import AgentProfile, Call, ValuePoint
from compliance.models import AuditEvent, ContactDecision
from core.access import ADMIN, AGENT, SUPERVISOR, store_scope
from dashboards.live import floor_now
from tests.factories import CartFactory, CustomerFactory, StoreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(shopify_store):
    """Two stores, each with a supervisor and an agent, an agent of every store, and an open cart in each."""
    outdoor = StoreFactory(name="Outdoor Gear", shop_domain="outdoor.myshopify.com")
    people = {}
    for name, role, stores in (("jordan", SUPERVISOR, [shopify_store]), ("riley", SUPERVISOR, [outdoor]),
                               ("maya", AGENT, [shopify_store]), ("sam", AGENT, [outdoor]), ("kim", AGENT, [])):
        user = UserFactory(username=name, first_name=name.title(), role=role)
        AgentProfile.objects.create(user=user).stores.set(stores)
        people[name] = user
    people["alex"] = UserFactory(username="alex", role=ADMIN, is_staff=True)
    now = timezone.now()
    carts = {}
    for store, email in ((shopify_store, "ana@example.com"), (outdoor, "olga@example.com")):
        carts[store.name] = CartFactory(store=store, customer=CustomerFactory(store=store, email=email,
                                                                            last_name=email.split("@")[0]),
                                        route="call_first", workable_since=now - timedelta(minutes=9))
    return {"demo": shopify_store, "outdoor": outdoor, "people": people, "carts": carts}


def test_the_scope_is_the_profile_stores_and_none_means_every_store(teams):
    people = teams["people"]
    assert store_scope(people["jordan"]) == {teams["demo"].pk}
    assert store_scope(people["kim"]) is None  # works every store
    assert store_scope(people["alex"]) is None  # admins see everything
    assert store_scope(UserFactory(username="new", role=SUPERVISOR)) is None  # no profile yet: every store


def test_a_supervisor_lists_and_opens_only_their_stores_carts(client, teams):
    own, other = teams["carts"]["Demo Store"], teams["carts"]["Outdoor Gear"]
    client.force_login(teams["people"]["jordan"])
    page = client.get("/carts/").content.decode()
    assert f'id="cart-{own.pk}"' in page
    assert f'id="cart-{other.pk}"' not in page and "Outdoor Gear" not in page  # not even as a filter choice
    assert client.get(f"/carts/{other.pk}/").status_code == 404
    assert f'id="cart-{other.pk}"' not in client.get(f"/carts/?store={teams['outdoor'].pk}").content.decode()
    assert f'id="cart-{other.pk}"' not in client.get("/carts/?q=olga").content.decode()
    client.force_login(teams["people"]["alex"])
    assert f'id="cart-{other.pk}"' in client.get("/carts/").content.decode()


def test_the_dashboard_reads_and_offers_only_the_supervisors_stores_and_team(client, teams):
    client.force_login(teams["people"]["jordan"])
    response = client.get(f"/dashboards/?store={teams['outdoor'].pk}")  # another team's store: not theirs to read
    assert response.context["filters"].store_ids == (teams["demo"].pk,)
    choices = response.context["choices"]
    assert [name for _pk, name in choices["stores"]] == ["Demo Store"]
    assert {name for _pk, name in choices["agents"]} == {"Maya", "Kim"}  # not Sam, who works Outdoor Gear only
    client.force_login(teams["people"]["alex"])
    assert client.get("/dashboards/").context["filters"].store_ids == ()


def test_the_live_floor_and_team_page_show_the_supervisors_team(client, teams):
    scope = store_scope(teams["people"]["jordan"])
    floor = floor_now(scope=scope)
    assert floor["breach_count"] == 1 and [cart.store.name for cart in floor["oldest"]] == ["Demo Store"]
    assert {agent.name for agent in floor["agents"]} == {"Maya", "Kim"}  # agents: not the supervisor
    assert floor_now()["breach_count"] == 2
    client.force_login(teams["people"]["jordan"])
    team = client.get("/agents/").content.decode()
    assert "Maya" in team and "Kim" in team and "Sam" not in team and "Riley" not in team
    live = client.get("/dashboards/live/").content.decode()
    assert "Demo Store" in live and "Outdoor Gear" not in live


def test_gate_decisions_are_searched_within_the_supervisors_stores(client, teams):
    now = timezone.now()
    for store, phone in ((teams["demo"], "+12125550101"), (teams["outdoor"], "+12125550199")):
        ContactDecision.objects.create(at=now, channel="voice", store=store, phone=phone, allowed=True,
                                       requester="agent:test")
    client.force_login(teams["people"]["riley"])
    page = client.get("/compliance/decisions/").content.decode()
    assert "0199" in page and "0101" not in page


def test_an_agents_home_lists_only_the_carts_they_worked(client, teams):
    maya = teams["people"]["maya"]
    worked = teams["carts"]["Demo Store"]
    Call.objects.create(cart=worked, agent=maya, opened_at=timezone.now())
    CartFactory(store=teams["demo"], customer=CustomerFactory(store=teams["demo"], last_name="Untouched"))
    client.force_login(maya)
    page = client.get("/").content.decode()
    assert "Carts you worked" in page and worked.customer.last_name in page
    assert "Untouched" not in page and "Outdoor Gear" not in page
    assert f"/carts/{worked.pk}/" not in page  # the cart screen is the supervisors': no link to a 403
    client.force_login(teams["people"]["sam"])
    assert "No carts yet: the carts you call appear here" in client.get("/").content.decode()


def test_a_supervisor_writes_value_points_for_their_stores_only(client, teams):
    shared = ValuePoint.objects.create(text="Free returns everywhere")
    client.force_login(teams["people"]["jordan"])
    page = client.get("/agents/script/").content.decode()
    assert "Free returns everywhere" in page and f"/agents/script/value/{shared.pk}/" not in page
    assert client.get(f"/agents/script/value/{shared.pk}/").status_code == 403  # seen, but the admins' to write
    for store in ("", str(teams["outdoor"].pk)):  # every store's, or another team's: refused
        response = client.post("/agents/script/", {"kind": "value", "value-store": store, "value-text": "Gift wrap",
                                                   "value-position": 1, "value-is_active": "on"})
        assert response.status_code == 422
    response = client.post("/agents/script/", {"kind": "value", "value-store": teams["demo"].pk,
                                               "value-text": "Gift wrap", "value-position": 1,
                                               "value-is_active": "on"})
    assert response.status_code == 302
    assert ValuePoint.objects.get(text="Gift wrap").store == teams["demo"]


def test_changing_whose_stores_a_person_sees_is_audited(teams):
    profile = teams["people"]["jordan"].agent_profile
    profile.stores.add(teams["outdoor"])
    profile.stores.remove(teams["demo"])
    summaries = list(AuditEvent.objects.filter(subject_type="agent profile", subject_id=str(profile.pk))
                     .order_by("pk").values_list("summary", flat=True))
    assert summaries[-2:] == ["Added Outdoor Gear to the stores of jordan",
                              "Removed Demo Store from the stores of jordan"]
