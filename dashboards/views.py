from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from agents.selectors import recent_carts_worked_by
from agents.services.floor import agent_notice_send, cart_hand_to_agent
from compliance.services.trail import audit_export
from core.access import ADMIN, SUPERVISOR, StoreScope, role_required, store_scope, user_roles
from core.csv_download import csv_response
from dashboards import breakdowns, selectors, tables
from dashboards.forms import HandForm, NoticeForm, error_text
from dashboards.live import floor_now
from dashboards.metrics import Filters, Window, window_metrics
from dashboards.tables import plain
from recovery.models import Cart
from recovery.selectors import recent_carts

HOME_DAYS = 30


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The headline numbers of the user's stores; supervisors see their latest carts, agents the carts they worked.
    The last 30 days' figures are the dashboard's own (`dashboards.metrics`, from the same roll-ups), so the two
    pages never disagree."""
    scope, now = store_scope(request.user), timezone.now()
    supervises = bool(user_roles(request.user) & {SUPERVISOR, ADMIN})
    window, filters = Window.last(HOME_DAYS, now=now), _scoped(Filters(), scope)
    context = {
        "days": HOME_DAYS, "figures": window_metrics(window, filters).values, "now": selectors.carts_now(scope=scope),
        "waiting": selectors.waiting_past_rule(now=now, scope=scope),
        "freshness": selectors.rollups_freshness(now=now),
        "funnel": breakdowns.script_funnel(window, filters),
        "recent_carts": recent_carts(limit=15, scope=scope) if supervises
        else recent_carts_worked_by(request.user, limit=15),
    }
    return render(request, "dashboards/home.html", context)


def _scoped(filters: Filters, scope: StoreScope) -> Filters:
    """The filters within the user's stores: a store outside them, or none chosen, reads all of theirs."""
    if scope is None or (filters.store_ids and set(filters.store_ids) <= scope):
        return filters
    return Filters(store_ids=tuple(sorted(scope)), agent_id=filters.agent_id, route=filters.route)


def _filters(request: HttpRequest) -> Filters:
    def number(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    store = number("store")
    route = request.GET.get("route", "")
    chosen = Filters(store_ids=(store,) if store else (), agent_id=number("agent"),
                     route=route if route in Cart.Route.values else "")
    return _scoped(chosen, store_scope(request.user))


@role_required(SUPERVISOR, ADMIN)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The 30/60/90-day dashboard; `?format=csv` downloads every table."""
    filters, now = _filters(request), timezone.now()
    days = int(request.GET["days"]) if request.GET.get("days") in ("30", "60", "90") else 30
    table = request.GET.get("table", "")
    by = "day" if request.GET.get("trend") == "day" else "week"  # weekly unless daily is asked for
    if request.GET.get("format") == "csv" and table == "trend":
        return _breakdown_csv(request, table, Window.last(TREND_DAYS[by], now=now), filters, TREND[by])
    if request.GET.get("format") == "csv" and table in BREAKDOWN_CSV:
        return _breakdown_csv(request, table, Window.last(days, now=now), filters)
    board = tables.dashboard(filters, now=now)
    if request.GET.get("format") == "csv":
        audit_export(request, what="the dashboard's 30/60/90-day numbers")
        return _csv(board)
    window, notes = Window.last(days, now=now), tables.filter_notes(filters)
    context = {
        "board": board, "windows": tables.WINDOWS, "filter_notes": notes,
        "sections": [(title, rows, notes.get(title, "")) for title, rows in board.sections()],
        "response_rows": board.channel_rows("response", "reach_rate", "Reached"),
        "conversion_rows": board.channel_rows("conversion", "conversion", "Converted"),
        "lifts": board.lifts(), "filters": filters, "choices": selectors.filter_choices(store_scope(request.user)),
        "funnel": breakdowns.script_funnel(window, filters), "days": days,
        "leaderboard": breakdowns.leaderboard(window, filters), "frictions": breakdowns.frictions(window, filters),
        "resolutions": breakdowns.resolutions(window, filters),
        "trend": TREND[by](Window.last(TREND_DAYS[by], now=now), filters), "trend_days": TREND_DAYS[by],
        "trend_by": by, "trend_links": _trend_links(request),
        "freshness": selectors.rollups_freshness(now=now),
    }
    return render(request, "dashboards/dashboard.html", context)


# The trend is weekly (13 whole weeks) unless daily (90 days) is asked for with ?trend=day.
TREND = {"week": breakdowns.weekly_trend, "day": breakdowns.daily_trend}
TREND_DAYS = {"week": 91, "day": 90}


def _trend_links(request: HttpRequest) -> dict[str, str]:
    """The page's address with the trend weekly or daily, every other choice (filters, period) kept."""
    links = {}
    for by in TREND:
        query = request.GET.copy()
        query.pop("trend", None)
        if by == "day":
            query["trend"] = "day"
        links[by] = f"?{query.urlencode()}#trend" if query else "?#trend"
    return links


def _percent(value) -> object:
    return plain(value, "share")


# Each CSV states plain numbers a spreadsheet reads (shares as percentages to one decimal, money to the cent).
BREAKDOWN_CSV = {
    "leaderboard": (breakdowns.leaderboard, ["agent", "attempts", "reach rate (%)", "carts attempted", "recovered",
                                             "recovery rate (%)", "value recovered ($)", "average handle minutes",
                                             "script adherence (%)"],
                    lambda row: [row.name, row.attempts, _percent(row.reach_rate), row.carts_attempted, row.recovered,
                                 _percent(row.recovery_rate), plain(row.value, "money"),
                                 plain(row.handle_minutes, "minutes"), _percent(row.adherence)]),
    "frictions": (breakdowns.frictions, ["friction", "calls", "resolved", "resolved rate (%)"],
                  lambda row: [row.label, row.calls, row.resolved, _percent(row.resolved_rate)]),
    "resolutions": (breakdowns.resolutions, ["offer", "offered", "resolved", "resolved rate (%)"],
                    lambda row: [row.offer, row.offered, row.resolved, _percent(row.resolved_rate)]),
    "trend": (breakdowns.weekly_trend, ["from", "to", "carts", "recovered", "recovery rate (%)",
                                        "value recovered ($)", "call-first carts",
                                        "call-first carts contacted within 5 minutes (%)"],
              lambda row: [row["day"], row["last_day"], row["carts"], row["recovered"],
                           _percent(row["recovery_rate"]), plain(row["value"], "money"), row["call_first_carts"],
                           _percent(row["contacted_within_5_min"])]),
}


def _breakdown_csv(request: HttpRequest, table: str, window: Window, filters: Filters,
                   rows_for=None) -> HttpResponse:
    default_rows, header, line = BREAKDOWN_CSV[table]
    rows_for = rows_for or default_rows
    audit_export(request, what=f"the dashboard's {table} table ({window.days} days)")
    response, writer = csv_response(f"{table}-{window.end:%Y-%m-%d}.csv")
    writer.writerow(header)
    for row in rows_for(window, filters):
        writer.writerow(line(row))
    return response


def _csv(board: tables.Dashboard) -> HttpResponse:
    response, writer = csv_response(f"dashboard-{board.now:%Y-%m-%d}.csv")
    header = ["section", "metric", "unit"]
    for days in tables.WINDOWS:
        header += [f"last {days} days", f"change vs the {days} days before"]
    writer.writerow(header)
    rows = [(title, row) for title, section in board.sections() for row in section]
    rows += [("Response", row) for row in board.channel_rows("response", "reach_rate", "Reached")]
    rows += [("Conversion", row) for row in board.channel_rows("conversion", "conversion", "Converted")]
    for title, row in rows:
        line = [title, row.label, row.unit]
        for cell in row.cells:
            line += [cell.plain, cell.plain_change]
        writer.writerow(line)
    lifts = [lift for _days, lift in board.lifts()]
    for label, unit, value in LIFT_CSV:
        line = ["Lift over the control group", label, unit]
        for lift in lifts:
            line += [value(lift), None]  # the lift has no change: it is itself a difference
        writer.writerow(line)
    return response


def _points(value: float | None) -> object:
    return None if value is None else plain(value / 100, "share")


# The lift's rows in the CSV: one number per window, in the columns of the other metrics.
LIFT_CSV = (
    ("Lift", "percentage points", lambda lift: _points(lift.lift)),
    ("Lift, 95% interval from", "percentage points", lambda lift: _points(lift.low)),
    ("Lift, 95% interval to", "percentage points", lambda lift: _points(lift.high)),
    ("Carts the team could contact", "count", lambda lift: lift.contacted_carts),
    ("Carts in the control group", "count", lambda lift: lift.control_carts),
    ("Sample too small to conclude (1 yes, 0 no)", "yes/no", lambda lift: int(lift.too_small)),
)


@role_required(SUPERVISOR, ADMIN)
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    """The floor now; the panel refreshes itself every 5 seconds."""
    template = "dashboards/_live_panel.html" if request.htmx else "dashboards/live.html"
    return render(request, template, {"floor": floor_now(scope=store_scope(request.user))})


def _live_result(request: HttpRequest, *, done: str = "", refused: str = "") -> HttpResponse:
    """The answer to an action on an alert: its sentence (or the refusal, 422) above the floor, with the floor
    as it is now (htmx: the sentence swapped in and the panel out of band; else the whole page)."""
    context = {"floor": floor_now(scope=store_scope(request.user)), "done": done, "refused": refused}
    template = "dashboards/_live_result.html" if request.htmx else "dashboards/live.html"
    return render(request, template, {**context, "oob": bool(request.htmx)}, status=422 if refused else 200)


@role_required(SUPERVISOR, ADMIN)
@require_POST
def live_hand(request: HttpRequest) -> HttpResponse:
    """Hand a waiting cart to an available agent (the agents' service keeps the queue's and the gate's rules)."""
    form = HandForm(request.POST)
    if not form.is_valid():
        return _live_result(request, refused=error_text(form))
    try:
        notice = cart_hand_to_agent(cart_id=form.cleaned_data["cart"], agent_id=form.cleaned_data["agent"],
                                    by=request.user, scope=store_scope(request.user))
    except ValidationError as exc:
        return _live_result(request, refused=" ".join(exc.messages))
    name = notice.agent.get_full_name() or notice.agent.username
    return _live_result(request, done=f"Cart {notice.cart_id} handed to {name}: their console tells them.")


@role_required(SUPERVISOR, ADMIN)
@require_POST
def live_notice(request: HttpRequest) -> HttpResponse:
    """Send an agent a notice, shown on their console until they dismiss it."""
    form = NoticeForm(request.POST)
    if not form.is_valid():
        return _live_result(request, refused=error_text(form))
    try:
        notice = agent_notice_send(agent_id=form.cleaned_data["agent"], by=request.user,
                                   text=form.cleaned_data["text"], scope=store_scope(request.user))
    except ValidationError as exc:
        return _live_result(request, refused=" ".join(exc.messages))
    name = notice.agent.get_full_name() or notice.agent.username
    return _live_result(request, done=f"Notice sent to {name}: it shows on their console.")
