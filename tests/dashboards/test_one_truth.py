"""One version of the truth: each figure has one definition, and every screen that shows it shows the same number.

The home page and the dashboard (the 5-minute figure, the recovery figures), the cart page and the priority sentence
(a cart's attempts), and the dashboard's sections under a filter that does not apply to them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboards.metrics import Filters, Window, window_metrics
from recovery.services.priority import cart_prioritize
from tests.dashboards.helpers import cart
from tests.factories import CustomerFactory, UserFactory, attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(shopify_store, build_rollups):
    """Call-first carts abandoned two days ago, each workable 10 minutes after the shopper's last activity: one
    called 3 minutes after it became workable, one 20 minutes after, one never; a recovered one; a control-group
    cart (never contacted, left out of the team's figures)."""
    maya = UserFactory(username="maya", first_name="Maya")
    left = timezone.now() - timedelta(days=2)
    workable = left + timedelta(minutes=10)
    quick = cart(shopify_store, abandoned_at=left, workable_since=workable, first_attempt_at=workable
                 + timedelta(minutes=3))
    attempt(quick, "voice", workable + timedelta(minutes=3), agent=maya, outcome="no_answer")
    late = cart(shopify_store, abandoned_at=left, workable_since=workable,
                first_attempt_at=workable + timedelta(minutes=20), status="recovered", recovered_value=Decimal("250"),
                recovered_at=workable + timedelta(hours=2), attribution="contacted", recovered_channel="voice")
    attempt(late, "voice", workable + timedelta(minutes=20), agent=maya, outcome="recovered")
    cart(shopify_store, abandoned_at=left, workable_since=workable)  # never contacted: late, by the one definition
    quicker = cart(shopify_store, abandoned_at=left, workable_since=left, first_attempt_at=left + timedelta(minutes=2))
    attempt(quicker, "voice", left + timedelta(minutes=2), agent=maya, outcome="no_answer")
    cart(shopify_store, abandoned_at=left, workable_since=workable, in_control_group=True)
    build_rollups()
    return maya


def _text(html: str) -> str:
    """What a reader sees: tags dropped, spaces collapsed."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return text.replace("( ", "(").replace(" )", ")")


def _dashboard_cell(page: str, key: str) -> str:
    """The last-30-days cell of a metric row: its value and counts."""
    row = page[page.index(f'id="metric-{key}"'):]
    cell = row[row.index('<td class="num">'):row.index("</td>", row.index('<td class="num">'))]
    return _text(cell.split("<br>")[0]).strip()


def test_the_home_page_and_the_dashboard_show_the_same_five_minute_figure(client, supervisor_user, floor):
    # given
    client.force_login(supervisor_user)

    # when
    home = client.get("/").content.decode()
    board = client.get("/dashboards/").content.decode()

    # then: 2 of the 4 timed carts (the one never contacted counts as late), on both pages
    assert "50.0% (2 of 4)" in _text(home[home.index('id="home-within-5"'):home.index("</li>", home.index(
        'id="home-within-5"'))])
    assert _dashboard_cell(board, "contacted_within_5_min") == "50.0% (2 of 4)"
    assert _dashboard_cell(board, "active_within_5_min") == "25.0% (1 of 4)"
    assert "25.0% (1 of 4)" in _text(home[home.index('id="home-active-within-5"'):])


def test_the_home_page_and_the_dashboard_show_the_same_recovery_figures(client, supervisor_user, floor):
    client.force_login(supervisor_user)
    figures = window_metrics(Window.last(30)).values

    home = _text(client.get("/").content.decode())
    board = client.get("/dashboards/").content.decode()

    assert (figures["carts"], figures["recovered"]) == (4, 1)  # the control group is left out of both
    assert "Recovered 1 25.0% (1 of 4)" in home
    assert _dashboard_cell(board, "recovery_rate") == "25.0% (1 of 4)"


def test_speed_to_lead_is_timed_from_the_shoppers_last_activity_and_from_becoming_workable(floor):
    values = window_metrics(Window.last(30)).values

    # 3 minutes after becoming workable is 13 after the shopper left; 2 minutes after both (no delay) is within both
    assert (values["within_5"], values["active_within_5"], values["timed"]) == (2, 1, 4)
    assert (values["within_30"], values["active_within_30"]) == (3, 3)


def test_attempts_per_cart_worked_sit_beside_attempts_per_recovered_cart(client, supervisor_user, floor):
    values = window_metrics(Window.last(30)).values
    assert (values["attempts"], values["carts_worked"]) == (3, 3)
    assert values["attempts_per_cart_worked"] == pytest.approx(1.0)
    assert values["attempts_per_recovered_cart"] == pytest.approx(1.0)

    client.force_login(supervisor_user)
    board = client.get("/dashboards/").content.decode()
    assert "Attempts per cart worked" in board and "Attempts per recovered cart" in board


def test_a_cart_counts_its_attempts_one_way_on_its_page_in_its_priority_and_on_the_dashboard(
        client, supervisor_user, shopify_store, build_rollups):
    # given: an email that left and a text the provider never took (an outage), two days ago
    customer = CustomerFactory(store=shopify_store, phone="+12125550131", email="liam@example.com", region="NY")
    left = timezone.now() - timedelta(days=2)
    liam = cart(shopify_store, customer=customer, status="open", abandoned_at=left, workable_since=left,
                total_value=Decimal("24"))
    attempt(liam, "email", left + timedelta(hours=1), outcome="sent")
    attempt(liam, "sms", left + timedelta(hours=2), outcome="not_sent", provider_status="failed")
    build_rollups()
    client.force_login(supervisor_user)

    # when
    priority = cart_prioritize(cart_id=liam.pk)
    page = _text(client.get(f"/carts/{liam.pk}/").content.decode())
    figures = window_metrics(Window.last(30)).values

    # then: one attempt, everywhere
    assert "1 contact attempt so far" in priority.explanation
    assert "1 contact attempt (1 email)" in page
    assert figures["attempts"] == 1
    assert "not counted: the provider never took it" in page  # on the record, but counted nowhere


def test_a_filter_that_does_not_apply_to_a_section_says_so(client, supervisor_user, floor):
    client.force_login(supervisor_user)

    page = client.get(f"/dashboards/?agent={floor.pk}").content.decode()
    unfiltered = client.get("/dashboards/").content.decode()

    lift = page[page.index('id="lift"'):page.index("</section>", page.index('id="lift"'))]
    recovery = page[page.index("<h2>Recovery</h2>"):page.index("</section>", page.index("<h2>Recovery</h2>"))]
    assert "The agent filter does not apply here" in lift
    assert "The agent filter applies" in recovery
    assert "filter-note" not in unfiltered
    assert window_metrics(Window.last(30), Filters(agent_id=floor.pk)).lift.contacted_carts == 4  # every cart's
