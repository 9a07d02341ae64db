from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from agents.selectors import recent_carts_worked_by
from compliance.services.trail import audit_export
from core.access import ADMIN, SUPERVISOR, StoreScope, role_required, store_scope, user_roles
from core.csv_download import csv_response
from dashboards import breakdowns, selectors, tables
from dashboards.live import floor_now
from dashboards.metrics import Filters, Window
from recovery.models import Cart
from recovery.selectors import recent_carts


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The headline numbers of the user's stores; supervisors see their latest carts, agents the carts they worked."""
    scope = store_scope(request.user)
    supervises = bool(user_roles(request.user) & {SUPERVISOR, ADMIN})
    context = {
        "summary": selectors.recovery_summary(days=30, scope=scope),
        "speed": selectors.speed_to_lead(days=30, scope=scope),
        "funnel": breakdowns.script_funnel(Window.last(30), _scoped(Filters(), scope)),
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
    if request.GET.get("format") == "csv" and table in BREAKDOWN_CSV:
        window = Window.last(TREND_DAYS if table == "trend" else days, now=now)  # as the section shows it
        return _breakdown_csv(request, table, window, filters)
    board = tables.dashboard(filters, now=now)
    if request.GET.get("format") == "csv":
        audit_export(request, what="the dashboard's 30/60/90-day numbers")
        return _csv(board)
    window = Window.last(days, now=now)
    context = {
        "board": board, "sections": board.sections(), "windows": tables.WINDOWS,
        "response_rows": board.channel_rows("response", "reach_rate", "Reached"),
        "conversion_rows": board.channel_rows("conversion", "conversion", "Converted"),
        "lifts": board.lifts(), "filters": filters, "choices": selectors.filter_choices(store_scope(request.user)),
        "funnel": breakdowns.script_funnel(window, filters), "days": days,
        "leaderboard": breakdowns.leaderboard(window, filters), "frictions": breakdowns.frictions(window, filters),
        "resolutions": breakdowns.resolutions(window, filters),
        "trend": breakdowns.daily_trend(Window.last(TREND_DAYS, now=now), filters), "trend_days": TREND_DAYS,
        "freshness": selectors.rollups_freshness(now=now),
    }
    return render(request, "dashboards/dashboard.html", context)


TREND_DAYS = 90
BREAKDOWN_CSV = {
    "leaderboard": (breakdowns.leaderboard, ["agent", "attempts", "reach rate", "carts attempted", "recovered",
                                             "recovery rate", "value recovered", "average handle minutes",
                                             "script adherence"],
                    lambda row: [row.name, row.attempts, row.reach_rate, row.carts_attempted, row.recovered,
                                 row.recovery_rate, row.value, row.handle_minutes, row.adherence]),
    "frictions": (breakdowns.frictions, ["friction", "calls", "resolved", "resolved rate"],
                  lambda row: [row.label, row.calls, row.resolved, row.resolved_rate]),
    "resolutions": (breakdowns.resolutions, ["offer", "offered", "resolved", "resolved rate"],
                    lambda row: [row.offer, row.offered, row.resolved, row.resolved_rate]),
    "trend": (breakdowns.daily_trend, ["day", "carts", "recovered", "recovery rate", "value recovered",
                                       "contacted within 5 minutes"],
              lambda row: [row["day"], row["carts"], row["recovered"], row["recovery_rate"], row["value"],
                           row["contacted_within_5_min"]]),
}


def _breakdown_csv(request: HttpRequest, table: str, window: Window, filters: Filters) -> HttpResponse:
    rows_for, header, line = BREAKDOWN_CSV[table]
    audit_export(request, what=f"the dashboard's {table} table ({window.days} days)")
    response, writer = csv_response(f"{table}-{window.end:%Y-%m-%d}.csv")
    writer.writerow(header)
    for row in rows_for(window, filters):
        writer.writerow(line(row))
    return response


def _csv(board: tables.Dashboard) -> HttpResponse:
    response, writer = csv_response(f"dashboard-{board.now:%Y-%m-%d}.csv")
    header = ["section", "metric"]
    for days in tables.WINDOWS:
        header += [f"last {days} days", f"change vs the {days} days before"]
    writer.writerow(header)
    rows = [(title, row) for title, section in board.sections() for row in section]
    rows += [("Response", row) for row in board.channel_rows("response", "reach_rate", "Reached")]
    rows += [("Conversion", row) for row in board.channel_rows("conversion", "conversion", "Converted")]
    for title, row in rows:
        line = [title, row.label]
        for cell in row.cells:
            line += [cell.value, cell.change]
        writer.writerow(line)
    for days, lift in board.lifts():
        low = "" if lift.low is None else f"{lift.low:.2f}"
        high = "" if lift.high is None else f"{lift.high:.2f}"
        value = "" if lift.lift is None else f"{lift.lift:.2f}"
        writer.writerow(["Lift over the control group", f"last {days} days (points; 95% interval {low} to {high})",
                         value, "sample too small" if lift.too_small else ""])
    return response


@role_required(SUPERVISOR, ADMIN)
def live(request: HttpRequest) -> HttpResponse:
    """The floor now; the panel refreshes itself every 5 seconds."""
    template = "dashboards/_live_panel.html" if request.htmx else "dashboards/live.html"
    return render(request, template, {"floor": floor_now(scope=store_scope(request.user))})
