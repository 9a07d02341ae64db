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
        ("contacted_within_5_min", "Call-first carts contacted within 5 minutes of becoming workable", "share"),
        ("contacted_within_30_min", "… within 30 minutes of becoming workable", "share"),
        ("median_minutes_to_first_contact", "Median time to first contact, from becoming workable", "minutes"),
        ("active_within_5_min", "Call-first carts contacted within 5 minutes of the shopper's last activity", "share"),
        ("active_within_30_min", "… within 30 minutes of the shopper's last activity", "share"),
    ]),
    ("Recovery", [
        ("carts", "Abandoned carts (not in the control group)", "count"),
        ("recovered", "Recovered", "count"),
        ("recovery_rate", "Recovery rate", "share"),
        ("recovered_value", "Value recovered", "money"),
        ("value_per_cart", "Value recovered per abandoned cart", "money"),
        ("recovered_order_value", "Average recovered order", "money"),
        ("attempts_per_recovered_cart", "Attempts per recovered cart", "number"),
        ("attempts_per_cart_worked", "Attempts per cart worked", "number"),
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
# A share's counts, shown beside it ("22.5% (9 of 40)"), as the home page shows the same figure.
SHARE_COUNTS = {"contacted_within_5_min": ("within_5", "timed"), "contacted_within_30_min": ("within_30", "timed"),
                "active_within_5_min": ("active_within_5", "timed"),
                "active_within_30_min": ("active_within_30", "timed"), "recovery_rate": ("recovered", "carts")}


# What each filter means, or that it does not apply, for the sections where that is not plain: a section a filter
# leaves out says so rather than showing figures the reader takes for filtered ones. Keyed by section (the
# headline sections' titles, and the ids of the others), then by filter.
FILTER_NOTES = {
    "lift": {"agent": "The agent filter does not apply here: the control group is never contacted, so it has no "
                      "agent; both rates are every cart's (store and route filters apply)."},
    "Speed to lead": {"agent": "With the agent filter: the carts this agent contacted.",
                      "route": "Only call-first carts are timed, whichever route is chosen."},
    "Recovery": {"agent": "The agent filter applies: the carts this agent contacted, and this agent's attempts."},
    "Business case": {"store": "With a store or route filter, each agent's cost is shared out by their attempts on "
                               "these carts.",
                      "route": "With a store or route filter, each agent's cost is shared out by their attempts on "
                               "these carts."},
    "frictions": {"route": "The route filter does not apply here: frictions are recorded per call, without the "
                           "cart's route."},
    "resolutions": {"route": "The route filter does not apply here: offers are recorded per call, without the "
                             "cart's route."},
}


def filter_notes(filters: Filters) -> dict[str, str]:
    """Each section's notes on the filters chosen (a section with nothing to say is absent)."""
    chosen = {"agent": bool(filters.agent_id), "store": bool(filters.store_ids), "route": bool(filters.route)}
    notes = {}
    for section, by_filter in FILTER_NOTES.items():
        said = dict.fromkeys(text for name, text in by_filter.items() if chosen[name])  # each sentence once
        if said:
            notes[section] = " ".join(said)
    return notes


@dataclass(frozen=True)
class Cell:
    value: float | Decimal | None
    text: str
    change: str  # "▲ 4.2 pts", "▼ $120", "–"
    kind: str = "number"
    before: float | Decimal | None = None
    counts: str = ""  # a share's part and whole: "9 of 40"

    @property
    def plain(self) -> Decimal | None:
        """The value as a CSV carries it: a number a spreadsheet reads, rounded as the page shows it."""
        return plain(self.value, self.kind)

    @property
    def plain_change(self) -> Decimal | None:
        """The change against the window before as a signed number in the value's unit (points for a share)."""
        if self.value is None or self.before is None:
            return None
        return plain(float(self.value) - float(self.before), self.kind)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]
    kind: str = "number"

    @property
    def unit(self) -> str:
        return UNITS.get(self.kind, "")


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


# How a CSV states each kind of value, and its unit column; shares are percentages, their changes points.
UNITS = {"share": "%", "money": "$", "minutes": "minutes", "count": "count", "number": "number"}
_PLACES = {"share": Decimal("0.1"), "money": Decimal("0.01"), "minutes": Decimal("0.1"), "count": Decimal("1"),
           "number": Decimal("0.01")}


def plain(value, kind: str) -> Decimal | None:
    """`value` as a plain number for a CSV: no currency sign, no thousands separator, no arrow, no 16-digit float
    (0.3333333333333333 is 33.3 for a share); None stays None (an empty cell)."""
    if value is None:
        return None
    number = Decimal(str(float(value) * 100 if kind == "share" else value))
    return number.quantize(_PLACES.get(kind, _PLACES["number"])) + 0  # + 0 turns -0.0 into 0.0


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
            values = self.current[days].values
            value, before = values.get(key), self.previous[days].values.get(key)
            part, whole = SHARE_COUNTS.get(key, ("", ""))
            counts = f"{values.get(part, 0):,} of {values.get(whole, 0):,}" if part else ""
            cells.append(Cell(value, show(value, kind), change(value, before, kind), kind, before, counts))
        return Row(key, label, tuple(cells), kind)

    def channel_rows(self, table: str, measure: str, label: str) -> list[Row]:
        rows = []
        for channel, name in CHANNELS:
            cells = []
            for days in WINDOWS:
                value = self.current[days].by_channel[table][channel][measure]
                before = self.previous[days].by_channel[table][channel][measure]
                cells.append(Cell(value, show(value, "share"), change(value, before, "share"), "share", before))
            rows.append(Row(f"{table}_{channel}", f"{label}: {name}", tuple(cells), "share"))
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
