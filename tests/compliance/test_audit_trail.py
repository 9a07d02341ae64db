"""The audit trail: who viewed a customer, changed a policy, list, consent, opt-out or role, and who exported data."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from agents.models import AgentProfile
from compliance.models import CompliancePolicy, ConsentRecord, OptOut
from compliance.models.trail import AuditEvent
from compliance.services.consent import consent_record
from compliance.services.trail import Actor, actor_context
from core.access import SUPERVISOR
from tests.factories import CartFactory, StoreFactory, UserFactory
from tests.payloads import cart_body

pytestmark = pytest.mark.django_db


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("at", "pk"))


def test_a_supervisor_viewing_a_cart_is_recorded_with_the_customer_masked(client, supervisor_user):
    cart = CartFactory(store=StoreFactory())
    client.force_login(supervisor_user)
    assert client.get(f"/carts/{cart.pk}/").status_code == 200
    (event,) = events(action="viewed")
    assert (event.actor_id, event.actor_name, event.subject_type) == (supervisor_user.pk, "supervisor", "customer")
    assert event.subject_id == str(cart.customer_id) and event.path == f"/carts/{cart.pk}/"
    assert str(cart.customer.phone) not in event.summary and cart.customer.email not in event.summary


def test_changing_a_policy_in_the_admin_records_who_changed_what(client, admin_user):
    store = StoreFactory()
    policy = CompliancePolicy.objects.create(store=store)
    client.force_login(admin_user)
    response = client.post(f"/admin/compliance/compliancepolicy/{policy.pk}/change/", {
        **{field: value for field, value in client.get(
            f"/admin/compliance/compliancepolicy/{policy.pk}/change/").context["adminform"].form.initial.items()
           if value is not None},
        "store": store.pk, "max_calls_per_cart": 3, "ebr_duration": "90 00:00:00",
        "national_list_max_age": "31 00:00:00", "min_gap_between_calls": "02:00:00"})
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = events(action="changed", subject_type="compliance policy")
    assert event.actor_name == "admin" and event.changes["max_calls_per_cart"] == ["6", "3"]


def test_roles_changes_and_agent_costs_are_recorded_but_an_agents_status_is_not(admin_user):
    maya = UserFactory(username="maya")
    with actor_context(Actor(admin_user.pk, "admin")):
        from django.contrib.auth.models import Group

        maya.groups.add(Group.objects.get_or_create(name=SUPERVISOR)[0])
        maya.groups.add(Group.objects.get(name=SUPERVISOR))  # already hers: nothing changes, nothing recorded
        profile = AgentProfile.objects.create(user=maya, hourly_cost=Decimal("30.00"))
        profile.hourly_cost = Decimal("32.50")
        profile.save()
        profile.status = "on_call"
        profile.save()
    roles = events(subject_type="user roles", subject_id=str(maya.pk))
    assert [event.summary for event in roles] == ["Gave Supervisors to maya"]
    changed = events(subject_type="agent profile", action="changed")
    assert len(changed) == 1 and changed[0].changes == {"hourly_cost": ["30.00", "32.50"]}


def test_opt_outs_are_recorded_and_system_consent_from_checkouts_is_not(admin_user):
    store = StoreFactory()
    consent_record(store=store, customer=None, channel="sms", phone="+12125550142", granted=True,
                   source="shopify_checkout")
    assert events(subject_type="consent") == [] and ConsentRecord.objects.count() == 1
    with actor_context(Actor(admin_user.pk, "admin")):
        consent_record(store=store, customer=None, channel="sms", phone="+12125550142", granted=False,
                       source="agent")
    OptOut.objects.create(phone="+12125550142", scope="sms", source="sms_keyword", at=store.created_at)
    (by_person,) = events(subject_type="consent")
    assert by_person.actor_name == "admin" and "+12125550142" not in by_person.summary
    (opt_out,) = events(subject_type="opt-out")
    assert opt_out.actor_name == "system" and "+12125550142" not in opt_out.summary


def test_downloads_are_recorded_as_exports(client, supervisor_user):
    client.force_login(supervisor_user)
    assert client.get("/dashboards/?format=csv").status_code == 200
    assert client.get("/dashboards/?table=leaderboard&format=csv").status_code == 200
    exports = events(action="exported")
    assert [event.actor_name for event in exports] == ["supervisor", "supervisor"]
    assert "dashboard" in exports[0].summary and "leaderboard" in exports[1].summary


def test_admins_search_the_trail_and_its_download_is_itself_recorded(client, admin_user):
    with actor_context(Actor(None, "system:test")):
        for number in range(3):
            StoreFactory(name=f"Store {number}")
    client.force_login(admin_user)
    page = client.get("/compliance/audit/", {"subject": "store"}).content.decode()
    assert page.count('id="audit-') >= 3 and "system:test" in page
    assert "No events match." in client.get("/compliance/audit/", {"who": "nobody"}).content.decode()
    download = client.get("/compliance/audit/", {"format": "csv"})
    assert download["Content-Type"].startswith("text/csv") and b"system:test" in download.content
    assert events(action="exported", actor_id=admin_user.pk)[0].summary.startswith("Downloaded the audit trail")


def test_the_audit_download_writes_text_a_spreadsheet_would_run_as_plain_text(client, admin_user):
    # given: an event whose summary came from free text
    with actor_context(Actor(None, "=cmd|' /C calc'!A0")):
        StoreFactory(name="@SUM(1)")
    client.force_login(admin_user)

    # when
    download = client.get("/compliance/audit/", {"format": "csv"}).content.decode()

    # then
    rows = list(csv.reader(io.StringIO(download)))
    assert "'=cmd|' /C calc'!A0" in [row[1] for row in rows]
    assert not any(cell.startswith(("=", "@", "+")) for row in rows for cell in row)


def test_agents_and_supervisors_cannot_read_the_trail(client, agent_user, supervisor_user):
    for user in (agent_user, supervisor_user):
        client.force_login(user)
        assert client.get("/compliance/audit/").status_code == 403


def test_the_trail_is_append_only_in_the_database():
    event = AuditEvent.objects.create(at=StoreFactory().created_at, actor_name="x", action="viewed",
                                      subject_type="customer", summary="x")
    for statement in ("UPDATE compliance_auditevent SET summary = 'y'", "DELETE FROM compliance_auditevent"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).summary == "x"


def test_a_store_token_is_the_actor_of_what_its_api_calls_change(api_client, custom_store):
    from compliance.services.trail import current_actor

    seen = []

    def remember(sender, instance, **kwargs):
        seen.append(current_actor())

    from django.db.models.signals import post_save

    from recovery.models import Cart

    post_save.connect(remember, sender=Cart, dispatch_uid="test-actor")
    try:
        response = api_client.post("/api/v1/carts/", cart_body(), format="json")
    finally:
        post_save.disconnect(dispatch_uid="test-actor", sender=Cart)
    assert response.status_code in (200, 201, 202), response.content
    assert seen and all(actor.name == f"store:{custom_store.shop_domain}" for actor in seen)
