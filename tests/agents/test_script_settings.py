"""Admins set what applies to every store (the friction taxonomy, every-store value points); supervisors edit their
stores' value points and see the rest read-only; agents see them on their next call."""

from __future__ import annotations

import pytest

from agents.models import AgentProfile, FrictionReason, ValuePoint
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_admins_add_a_friction_reason_with_suggestions(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/agents/script/", {
        "kind": "friction", "friction-label": "Gift wrapping not offered", "friction-code": "gift_wrapping",
        "friction-suggestions": "Offer the gift message option\nExplain the gift receipt", "friction-position": "5",
        "friction-is_active": "on"})
    assert response.status_code == 302
    reason = FrictionReason.objects.get(code="gift_wrapping")
    assert reason.suggestion_list == ["Offer the gift message option", "Explain the gift receipt"]
    assert "Gift wrapping not offered" in client.get("/agents/script/").content.decode()


def test_a_bad_reason_is_refused_with_the_field_error_and_nothing_is_saved(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/agents/script/", {"kind": "friction", "friction-label": "", "friction-code": "has space",
                                               "friction-position": "1"})
    assert response.status_code == 422 and "This field is required" in response.content.decode()
    assert not FrictionReason.objects.filter(code="has space").exists()


def test_supervisors_edit_a_value_point(client, supervisor_user, shopify_store):
    point = ValuePoint.objects.create(store=shopify_store, text="Free returns", position=1)
    client.force_login(supervisor_user)
    response = client.post(f"/agents/script/value/{point.pk}/", {
        "store": shopify_store.pk, "text": "Free returns for 60 days", "product_keyword": "", "position": 1,
        "is_active": "on"})
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.text == "Free returns for 60 days"


def test_agents_cannot_change_the_script(client, agent_user):
    client.force_login(agent_user)
    assert client.get("/agents/script/").status_code == 403


def value_point(store, text: str = "Lifetime warranty") -> dict:
    return {"kind": "value", "value-store": store.pk if store else "", "value-text": text,
            "value-product_keyword": "", "value-position": "1", "value-is_active": "on"}


@pytest.fixture
def team_supervisor(supervisor_user, shopify_store):
    AgentProfile.objects.create(user=supervisor_user).stores.add(shopify_store)
    return supervisor_user


def test_supervisors_see_the_shared_frictions_and_every_store_points_read_only(client, team_supervisor):
    # given
    everywhere = ValuePoint.objects.create(store=None, text="Price match guarantee")
    shared = FrictionReason.objects.get(code="price")
    client.force_login(team_supervisor)

    # when
    page = client.get("/agents/script/").content.decode()

    # then
    assert "Price" in page and "Price match guarantee" in page
    assert f"/agents/script/friction/{shared.pk}/" not in page and "set by admins" in page
    assert f"/agents/script/value/{everywhere.pk}/" not in page


def test_a_supervisor_cannot_change_the_shared_friction_list(client, team_supervisor):
    reason = FrictionReason.objects.get(code="price")
    client.force_login(team_supervisor)

    added = client.post("/agents/script/", {"kind": "friction", "friction-label": "Gift wrapping",
                                            "friction-code": "gift_wrapping", "friction-position": "5"})
    opened = client.get(f"/agents/script/friction/{reason.pk}/")
    edited = client.post(f"/agents/script/friction/{reason.pk}/", {"label": "Too dear", "code": "price",
                                                                   "position": 1, "is_active": "on"})

    assert (added.status_code, opened.status_code, edited.status_code) == (422, 403, 403)
    assert "the reasons every store shares are set by admins" in added.content.decode()
    assert not FrictionReason.objects.filter(code="gift_wrapping").exists()
    reason.refresh_from_db()
    assert reason.label == "Price"


def friction(store, label: str = "Frame size wrong", code: str = "frame_size") -> dict:
    return {"kind": "friction", "friction-store": store.pk if store else "", "friction-label": label,
            "friction-code": code, "friction-suggestions": "Offer the size guide call", "friction-position": "5",
            "friction-is_active": "on"}


def test_a_supervisor_adds_their_stores_own_friction_reason_and_edits_it(client, team_supervisor, shopify_store):
    # given
    other = StoreFactory(name="Other store")
    client.force_login(team_supervisor)

    # when
    added = client.post("/agents/script/", friction(shopify_store))
    elsewhere = client.post("/agents/script/", friction(other, code="shade"))
    reason = FrictionReason.objects.get(code="frame_size")
    edited = client.post(f"/agents/script/friction/{reason.pk}/", {
        "store": shopify_store.pk, "label": "Frame size", "code": "frame_size", "position": 5, "is_active": "on"})

    # then: their store's reason is theirs to write; another store is not one they may choose
    assert (added.status_code, elsewhere.status_code, edited.status_code) == (302, 422, 302)
    reason.refresh_from_db()
    assert (reason.store_id, reason.label) == (shopify_store.pk, "Frame size")
    assert not FrictionReason.objects.filter(code="shade").exists()


def test_another_stores_friction_reason_is_not_found_for_a_team_supervisor(client, team_supervisor):
    theirs = FrictionReason.objects.create(store=StoreFactory(name="Other store"), code="shade", label="Shade")
    client.force_login(team_supervisor)

    assert client.get(f"/agents/script/friction/{theirs.pk}/").status_code == 404
    assert "Shade" not in client.get("/agents/script/").content.decode()


def test_a_supervisor_cannot_edit_an_every_store_value_point(client, team_supervisor):
    point = ValuePoint.objects.create(store=None, text="Price match guarantee")
    client.force_login(team_supervisor)

    response = client.post(f"/agents/script/value/{point.pk}/", {"store": "", "text": "Changed", "position": 1})

    assert response.status_code == 403
    point.refresh_from_db()
    assert point.text == "Price match guarantee"


@pytest.mark.parametrize("profile", ["team", "no store", "no profile"])
def test_no_supervisor_adds_an_every_store_value_point(client, supervisor_user, shopify_store, profile):
    # given: a supervisor of one store, and ones who see every store (a profile naming none, or no profile)
    if profile != "no profile":
        made = AgentProfile.objects.create(user=supervisor_user)
        if profile == "team":
            made.stores.add(shopify_store)
    client.force_login(supervisor_user)

    # when
    response = client.post("/agents/script/", value_point(None))

    # then: refused on the form, with what was typed kept
    page = response.content.decode()
    assert response.status_code == 422 and "value points for every store are set by admins" in page
    assert "Lifetime warranty" in page
    assert not ValuePoint.objects.filter(text="Lifetime warranty").exists()


def test_a_supervisor_who_sees_every_store_writes_each_stores_value_points(client, supervisor_user, shopify_store):
    # given: a single team, no stores named (README: "a single team needs no setup")
    other = StoreFactory(name="Other store")
    client.force_login(supervisor_user)

    # when
    first = client.post("/agents/script/", value_point(shopify_store))
    second = client.post("/agents/script/", value_point(other, "Free engraving"))

    # then
    assert (first.status_code, second.status_code) == (302, 302)
    assert set(ValuePoint.objects.filter(text__in=["Lifetime warranty", "Free engraving"])
               .values_list("store_id", "text")) == {(shopify_store.pk, "Lifetime warranty"),
                                                     (other.pk, "Free engraving")}


def test_a_team_supervisor_writes_only_their_stores_value_points(client, team_supervisor):
    other = StoreFactory(name="Other store")
    client.force_login(team_supervisor)

    response = client.post("/agents/script/", value_point(other))

    assert response.status_code == 422 and not ValuePoint.objects.filter(text="Lifetime warranty").exists()


def test_admins_write_every_store_value_points_and_the_friction_list(client, admin_user):
    point = ValuePoint.objects.create(store=None, text="Price match guarantee")
    client.force_login(admin_user)

    added = client.post("/agents/script/", value_point(None, "Ships in 24 hours"))
    edited = client.post(f"/agents/script/value/{point.pk}/", {"store": "", "text": "Price match, 30 days",
                                                               "position": 1, "is_active": "on"})
    page = client.get("/agents/script/").content.decode()

    assert (added.status_code, edited.status_code) == (302, 302)
    assert ValuePoint.objects.filter(store=None, text="Ships in 24 hours").exists()
    point.refresh_from_db()
    assert point.text == "Price match, 30 days"
    assert 'name="kind" value="friction"' in page and f"/agents/script/value/{point.pk}/" in page
