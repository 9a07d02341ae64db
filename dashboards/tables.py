"""The dashboard's tables: each metric for the 30, 60 and 90 days to now, with the change against the window
before, formatted for people (and as plain numbers for CSV)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings

from core.money import money_text
from dashboards.metrics import Filters, Window, WindowMetrics, load_facts, window_metrics

WINDOWS = (30, 60, 90)

# (key, label, kind): kind says how to show it and how to state a change.
HEADLINE = [
    ("Speed to lead", [
        ("contacted_within_5_min", "Call-first carts contacted within 5 minutes", "share"),
        ("contacted_within_30_min", "… within 30 minutes", "share"),
        ("median_minutes_to_first_contact", "Median time to first contact", "minutes"),
    ]),
    ("Recovery", [
        ("carts", "Abandoned carts (not in the control group)", "count"),
        ("recovered", "Recovered", "count"),
        ("recovery_rate", "Recovery rate", "share"),
        ("recovered_value", "Value recovered", "money"),
        ("value_per_cart", "Value recovered per abandoned cart", "money"),
        ("recovered_order_value", "Average recovered order", "money"),
        ("attempts_per_recovered_cart", "Attempts per recovered cart", "number"),
        ("upsell_value", "Upsell value", "money"),
        ("attempts", "Contact attempts", "count"),
        ("revenue_per_attempt", "Revenue per contact attempt", "money"),
    ]),
    ("Business case", [
        ("value_after_contact", "Value recovered after contact", "money"),
        ("team_cost", "Team cost", "money"),
        ("roi", "Return on investment", "share"),
    ]),
]
CHANNELS = (("voice", "Calls"), ("sms", "Texts"), ("email", "Emails"))


@dataclass(frozen=True)
class Cell:
    value: float | Decimal | None
    text: str
    change: str  # "▲ 4.2 pts", "▼ $120", "–"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]


def show(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "share":
        return f"{float(value) * 100:.1f}%"
    if kind == "money":
        return money_text(value, settings.REPORTING_CURRENCY)
    if kind == "minutes":
        return f"{float(value):.1f} min"
    if kind == "count":
        return f"{int(value):,}"
    return f"{float(value):.2f}"


def change(value, before, kind: str) -> str:
    """The change against the window before, with an arrow and a sign (readable without colour)."""
    if value is None or before is None:
        return "–"
    difference = float(value) - float(before)
    if abs(difference) < 1e-9:
        return "= no change"
    arrow = "▲" if difference > 0 else "▼"
    if kind == "share":
        return f"{arrow} {abs(difference) * 100:.1f} pts"
    return f"{arrow} {show(abs(difference), kind)}"


@dataclass
class Dashboard:
    now: datetime
    filters: Filters
    current: dict[int, WindowMetrics]
    previous: dict[int, WindowMetrics]

    def sections(self) -> list[tuple[str, list[Row]]]:
        return [(title, [self._row(key, label, kind) for key, label, kind in rows]) for title, rows in HEADLINE]

    def _row(self, key: str, label: str, kind: str) -> Row:
        cells = []
        for days in WINDOWS:
            value, before = self.current[days].values.get(key), self.previous[days].values.get(key)
            cells.append(Cell(value, show(value, kind), change(value, before, kind)))
        return Row(key, label, tuple(cells))

    def channel_rows(self, table: str, measure: str, label: str) -> list[Row]:
        rows = []
        for channel, name in CHANNELS:
            cells = []
            for days in WINDOWS:
                value = self.current[days].by_channel[table][channel][measure]
                before = self.previous[days].by_channel[table][channel][measure]
                cells.append(Cell(value, show(value, "share"), change(value, before, "share")))
            rows.append(Row(f"{table}_{channel}", f"{label}: {name}", tuple(cells)))
        return rows

    def lifts(self):
        return [(days, self.current[days].lift) for days in WINDOWS]


def dashboard(filters: Filters, *, now: datetime) -> Dashboard:
    windows = {days: Window.last(days, now=now) for days in WINDOWS}
    every = [*windows.values(), *(window.previous for window in windows.values())]
    facts = load_facts(windows[max(WINDOWS)].previous.first_day, windows[max(WINDOWS)].last_day, filters, now=now,
                       windows=every)
    current = {days: window_metrics(window, filters, facts=facts) for days, window in windows.items()}
    previous = {days: window_metrics(window.previous, filters, facts=facts) for days, window in windows.items()}
    return Dashboard(now, filters, current, previous)
