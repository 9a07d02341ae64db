"""Supervisors extend the friction taxonomy and edit value points; agents see them on their next call."""

from __future__ import annotations

import pytest

from agents.models import FrictionReason, ValuePoint

pytestmark = pytest.mark.django_db


def test_supervisors_add_a_friction_reason_with_suggestions(client, supervisor_user):
    client.force_login(supervisor_user)
    response = client.post("/agents/script/", {
        "kind": "friction", "friction-label": "Gift wrapping not offered", "friction-code": "gift_wrapping",
        "friction-suggestions": "Offer the gift message option\nExplain the gift receipt", "friction-position": "5",
        "friction-is_active": "on"})
    assert response.status_code == 302
    reason = FrictionReason.objects.get(code="gift_wrapping")
    assert reason.suggestion_list == ["Offer the gift message option", "Explain the gift receipt"]
    assert "Gift wrapping not offered" in client.get("/agents/script/").content.decode()


def test_a_bad_reason_is_refused_with_the_field_error_and_nothing_is_saved(client, supervisor_user):
    client.force_login(supervisor_user)
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
