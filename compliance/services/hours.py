"""Calling hours in the recipient's local time, part of the contact gate.

`recipient_locations` works out every place (country, state, IANA zone) the
recipient may be in, from the address or else from the number;
`calling_hours_check` says whether every one of those places allows a call at
an instant, and if not, why and when they all will. Rules are `CallingRule`
rows: the national row (region blank) applies everywhere in its country and a
state row tightens it. Several possible places means the most restrictive
combination applies; anything that cannot be resolved denies (fail closed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import phonenumbers
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from phonenumbers import timezone as phone_timezone

from compliance.models import CallingRule
from compliance.selectors_hours import calling_rules_for_country
from core.phones import valid_number

OUTSIDE_CALLING_HOURS = "outside_calling_hours"
NO_CALLS_SUNDAY = "no_calls_sunday"
NO_CALLS_HOLIDAY = "no_calls_holiday"
UNKNOWN_LOCATION = "unknown_location"
_REASON_ORDER = (UNKNOWN_LOCATION, NO_CALLS_HOLIDAY, NO_CALLS_SUNDAY, OUTSIDE_CALLING_HOURS)

RULES_CACHE = "calling_rules"  # a process-local (locmem) cache alias in settings: the gate reads it on every check
RULES_CACHE_TTL_SECONDS = 60  # other processes see an admin's edit within this long
SEARCH_HORIZON = timedelta(days=8)  # next_allowed_at looks this far ahead, then gives up (None)
SUNDAY = 6
EXTRA_NO_CALL_DATE = "a no-call date"  # a date from the rule's own `holidays` list
DAY_SECONDS = 24 * 3600
_PLACE_DAYS_KEPT = 64  # days a shared place remembers: a check looks at most SEARCH_HORIZON and two days ahead

# State code -> (name, IANA zones in use anywhere in the state), after the tz database's zone.tab.
US_STATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "AK": ("Alaska", ("America/Adak", "America/Anchorage", "America/Juneau", "America/Metlakatla", "America/Nome",
                      "America/Sitka", "America/Yakutat")),
    "AL": ("Alabama", ("America/Chicago",)),
    "AR": ("Arkansas", ("America/Chicago",)),
    "AZ": ("Arizona", ("America/Denver", "America/Phoenix")),  # the Navajo Nation keeps DST
    "CA": ("California", ("America/Los_Angeles",)),
    "CO": ("Colorado", ("America/Denver",)),
    "CT": ("Connecticut", ("America/New_York",)),
    "DC": ("the District of Columbia", ("America/New_York",)),
    "DE": ("Delaware", ("America/New_York",)),
    "FL": ("Florida", ("America/Chicago", "America/New_York")),
    "GA": ("Georgia", ("America/New_York",)),
    "HI": ("Hawaii", ("Pacific/Honolulu",)),
    "IA": ("Iowa", ("America/Chicago",)),
    "ID": ("Idaho", ("America/Boise", "America/Los_Angeles")),
    "IL": ("Illinois", ("America/Chicago",)),
    "IN": ("Indiana", ("America/Chicago", "America/Indiana/Indianapolis", "America/Indiana/Knox",
                       "America/Indiana/Marengo", "America/Indiana/Petersburg", "America/Indiana/Tell_City",
                       "America/Indiana/Vevay", "America/Indiana/Vincennes", "America/Indiana/Winamac")),
    "KS": ("Kansas", ("America/Chicago", "America/Denver")),
    "KY": ("Kentucky", ("America/Chicago", "America/Kentucky/Louisville", "America/Kentucky/Monticello",
                        "America/New_York")),
    "LA": ("Louisiana", ("America/Chicago",)),
    "MA": ("Massachusetts", ("America/New_York",)),
    "MD": ("Maryland", ("America/New_York",)),
    "ME": ("Maine", ("America/New_York",)),
    "MI": ("Michigan", ("America/Detroit", "America/Menominee")),
    "MN": ("Minnesota", ("America/Chicago",)),
    "MO": ("Missouri", ("America/Chicago",)),
    "MS": ("Mississippi", ("America/Chicago",)),
    "MT": ("Montana", ("America/Denver",)),
    "NC": ("North Carolina", ("America/New_York",)),
    "ND": ("North Dakota", ("America/Chicago", "America/Denver", "America/North_Dakota/Beulah",
                            "America/North_Dakota/Center", "America/North_Dakota/New_Salem")),
    "NE": ("Nebraska", ("America/Chicago", "America/Denver")),
    "NH": ("New Hampshire", ("America/New_York",)),
    "NJ": ("New Jersey", ("America/New_York",)),
    "NM": ("New Mexico", ("America/Denver",)),
    "NV": ("Nevada", ("America/Los_Angeles",)),
    "NY": ("New York", ("America/New_York",)),
    "OH": ("Ohio", ("America/New_York",)),
    "OK": ("Oklahoma", ("America/Chicago",)),
    "OR": ("Oregon", ("America/Boise", "America/Los_Angeles")),
    "PA": ("Pennsylvania", ("America/New_York",)),
    "RI": ("Rhode Island", ("America/New_York",)),
    "SC": ("South Carolina", ("America/New_York",)),
    "SD": ("South Dakota", ("America/Chicago", "America/Denver")),
    "TN": ("Tennessee", ("America/Chicago", "America/New_York")),
    "TX": ("Texas", ("America/Chicago", "America/Denver")),
    "UT": ("Utah", ("America/Denver",)),
    "VA": ("Virginia", ("America/New_York",)),
    "VT": ("Vermont", ("America/New_York",)),
    "WA": ("Washington", ("America/Los_Angeles",)),
    "WI": ("Wisconsin", ("America/Chicago",)),
    "WV": ("West Virginia", ("America/New_York",)),
    "WY": ("Wyoming", ("America/Denver",)),
    # Territories: US addresses may name them, though their numbers carry their own region codes.
    "AS": ("American Samoa", ("Pacific/Pago_Pago",)),
    "GU": ("Guam", ("Pacific/Guam",)),
    "MP": ("the Northern Mariana Islands", ("Pacific/Saipan",)),
    "PR": ("Puerto Rico", ("America/Puerto_Rico",)),
    "VI": ("the U.S. Virgin Islands", ("America/St_Thomas",)),
}
_TERRITORIES = {"AS", "GU", "MP", "PR", "VI"}
_STATE_BY_NAME = {name.casefold().removeprefix("the "): code for code, (name, _) in US_STATES.items()}
_STATE_BY_NAME["washington dc"] = "DC"  # the geocoder's 'Washington D.C.'

# Zones a recipient "somewhere in the country" may be in (the 50 states and DC for the US).
COUNTRY_ZONES: dict[str, frozenset[str]] = {
    "US": frozenset(zone for code, (_, zones) in US_STATES.items() if code not in _TERRITORIES for zone in zones),
    "GB": frozenset({"Europe/London"}),
}
COUNTRY_NAMES = {"US": "the United States", "GB": "the United Kingdom"}


@dataclass(frozen=True)
class RecipientLocation:
    country: str  # ISO alpha-2, e.g. "US"
    region: str  # state code e.g. "FL", or "" if unknown
    timezone: str  # IANA name


@dataclass(frozen=True)
class HoursVerdict:
    allowed: bool
    reasons: tuple[str, ...]
    explanations: tuple[str, ...]  # explanations[i] explains reasons[i]
    next_allowed_at: datetime | None  # aware UTC; None when allowed now or when no instant within 8 days works
    max_calls_per_24h: int | None
    rules_applied: tuple[str, ...]


# --- Where the recipient may be -------------------------------------------------------------------------------


def recipient_locations(*, phone: str, country: str = "", region: str = "") -> list[RecipientLocation]:
    """All places the recipient may be. Address (country/region) wins when given; else from the
    E.164 number via phonenumbers.timezone.time_zones_for_number and phonenumbers.geocoder
    (description like 'Tallahassee, FL' or 'Florida' -> state code). A US state spanning zones
    with only a region known (e.g. FL from the address, no usable number) yields every zone of
    that state. Returns [] when nothing can be resolved (the gate then denies).

    An address state that matches the number's state keeps the number's zones (850-444 in FL is
    Central only); a region without a country is taken as a US state when it names one.
    """
    country = (country or "").strip().upper()
    number_country, number_region, number_zones = _number_facts(phone, default_region=country)
    if not country and (region or "").strip():
        country = "US" if _us_state_code(region) else number_country
    region = _normalize_region(country, region or "")
    if not country:
        country, region, zones = number_country, number_region, number_zones
    elif region:
        same_state = (country, region) == (number_country, number_region)
        zones = number_zones if same_state and number_zones else _zones_of(country, region)
        if not zones and country == number_country:
            zones = number_zones
    elif country == number_country:
        region, zones = number_region, number_zones
    else:
        zones = tuple(COUNTRY_ZONES.get(country, ()))
    if not country:
        return []
    return [RecipientLocation(country=country, region=region, timezone=zone) for zone in sorted(set(zones))]


@lru_cache(maxsize=65536)
def _number_facts(phone: str, *, default_region: str) -> tuple[str, str, tuple[str, ...]]:
    """(country, state, zones) the number points to, or ("", "", ()) for an unusable number.

    Cached: the answer depends only on phonenumbers' metadata, and every gate decision for a call or text asks.
    """
    number = valid_number(phone or "", default_region or None)
    if number is None:
        return "", "", ()
    country = _number_country(number)
    # The number's type, worked out once: phonenumbers' time_zones_for_number and description_for_number each
    # work it out again (a dozen patterns each), then take these same branches for a valid number.
    geographic = phonenumbers.is_number_type_geographical(phonenumbers.number_type(number), number.country_code)
    found = (phone_timezone.time_zones_for_geographical_number(number) if geographic
             else phone_timezone.time_zones_for_number(number))
    zones = tuple(z for z in found if z != phone_timezone.UNKNOWN_TIMEZONE)
    if country in COUNTRY_ZONES:  # a toll-free +1 number lists Caribbean and Canadian zones too
        zones = tuple(z for z in zones if z in COUNTRY_ZONES[country])
    region = ""
    if country == "US":
        geocoder = _geocoder()
        description = (geocoder.description_for_valid_number(number, "en") if geographic
                       else geocoder.description_for_number(number, "en"))
        region = _state_from_description(description)
    return country, region, zones


def _geocoder():
    """phonenumbers.geocoder, imported on first use: its data takes about 100 MB, which a process should
    hold only once it places a US number (web workers, beat and import_dnc mostly never do)."""
    from phonenumbers import geocoder

    return geocoder


def _number_country(number: phonenumbers.PhoneNumber) -> str:
    """The number's main country when it is valid there (+44 7911 is GB, not Guernsey)."""
    main = phonenumbers.region_code_for_country_code(number.country_code)
    if main not in ("ZZ", "001") and phonenumbers.is_valid_number_for_region(number, main):
        return main
    return phonenumbers.region_code_for_number(number) or ""


def _state_from_description(description: str) -> str:
    """'Tallahassee, FL' -> 'FL', 'Florida' -> 'FL', 'Washington D.C.' -> 'DC', else ''."""
    tail = description.rsplit(",", 1)[-1]
    return _us_state_code(tail) or _us_state_code(description)


def _us_state_code(value: str) -> str:
    text = " ".join(value.replace(".", "").split())
    code = text.upper().removeprefix("US-")
    if code in US_STATES:
        return code
    return _STATE_BY_NAME.get(text.casefold().removeprefix("the "), "")


def _normalize_region(country: str, region: str) -> str:
    """A US region becomes its two-letter code ('' if it names no state); others are upper-cased."""
    if country == "US":
        return _us_state_code(region)
    return region.strip().upper().removeprefix(f"{country}-")


def _zones_of(country: str, region: str) -> tuple[str, ...]:
    if country == "US":
        return US_STATES.get(region, ("", ()))[1]
    return tuple(COUNTRY_ZONES.get(country, ()))


# --- Rules ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A `CallingRule` row, frozen for the in-process cache, with times in seconds after midnight."""

    label: str  # "US" or "US-FL"
    name: str  # "the United States", "Florida"
    country: str
    region: str
    start: int
    end: int
    sunday_start: int
    sunday_end: int
    sunday_specific: bool
    no_calls_on_sunday: bool
    no_calls_on_holidays: bool
    extra_holidays: frozenset[date]
    max_calls_per_24h: int | None

    @classmethod
    def from_row(cls, row: CallingRule) -> _Rule:
        start, end = _seconds(row.start), _seconds(row.end, end=True)
        return cls(
            label=f"{row.country}-{row.region}" if row.region else row.country,
            name=_place_name(row.country, row.region),
            country=row.country,
            region=row.region,
            start=start,
            end=end,
            sunday_start=_seconds(row.sunday_start) if row.sunday_start else start,
            sunday_end=_seconds(row.sunday_end, end=True) if row.sunday_end else end,
            sunday_specific=bool(row.sunday_start or row.sunday_end),
            no_calls_on_sunday=row.no_calls_on_sunday,
            no_calls_on_holidays=row.no_calls_on_holidays,
            extra_holidays=frozenset(date.fromisoformat(str(day)) for day in row.holidays or ()),  # bad data raises
            max_calls_per_24h=row.max_calls_per_24h,
        )

    def window(self, day: date) -> tuple[int, int]:
        if day.weekday() == SUNDAY:
            return self.sunday_start, self.sunday_end
        return self.start, self.end

    def holiday(self, day: date) -> str | None:
        """The holiday's name if this rule bans calls on `day`."""
        if day in self.extra_holidays:
            return EXTRA_NO_CALL_DATE
        if self.no_calls_on_holidays:
            return _public_holidays(self.country, self.region, day.year).get(day)
        return None


def _seconds(value: time, *, end: bool = False) -> int:
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return DAY_SECONDS if end and seconds == 0 else seconds  # a window ending at 00:00 runs to midnight


def _place_name(country: str, region: str) -> str:
    if country == "US" and region in US_STATES:
        return US_STATES[region][0]
    return region or COUNTRY_NAMES.get(country, country)


@lru_cache(maxsize=256)
def _public_holidays(country: str, region: str, year: int) -> dict[date, str]:
    """Public holidays (observed days included) from the holidays package; an unknown subdivision raises."""
    return dict(holidays_lib.country_holidays(country, subdiv=region or None, years=year))


_rules_cache_lock = threading.Lock()
_rules_cache_generation = 0  # counts clears, so that a table read before an edit is not cached after it


def clear_calling_rules_cache() -> None:
    """Forget the cached rules so the next check reads them again (admin edits, tests)."""
    global _rules_cache_generation
    with _rules_cache_lock:
        caches[RULES_CACHE].clear()
        _rules_cache_generation += 1
    _place.cache_clear()  # not needed for correctness (keyed by the rules' values): frees the old rules' places


def _rules_of_country(country: str) -> dict[str, _Rule]:
    """region -> rule for a country: one query, then cached for RULES_CACHE_TTL_SECONDS in this process."""
    cache = caches[RULES_CACHE]
    table = cache.get(country)
    if table is not None:
        return table
    generation = _rules_cache_generation
    table = {row.region: _Rule.from_row(row) for row in calling_rules_for_country(country=country)}
    with _rules_cache_lock:
        if generation == _rules_cache_generation:  # no edit landed while we were reading
            cache.set(country, table, RULES_CACHE_TTL_SECONDS)
    return table


@receiver([post_save, post_delete], sender=CallingRule, dispatch_uid="compliance.hours.calling_rule_changed")
def _calling_rule_changed(sender, using: str | None = None, **kwargs) -> None:
    """Cache invalidation only: clear now, and again once the edit commits (a read in between may re-cache)."""
    clear_calling_rules_cache()
    transaction.on_commit(clear_calling_rules_cache, using=using)


# --- The check --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Day:
    """What the combined rules of a place allow on one local date."""

    start: int
    end: int
    closures: tuple[tuple[str, _Rule, str | None], ...]  # (reason, rule, holiday name)
    sunday_specific: bool

    @property
    def is_open(self) -> bool:
        return not self.closures and self.start < self.end


class _Place:
    """One possible location with its zone and rules; remembers the days it has worked out."""

    def __init__(self, location: RecipientLocation, zone: ZoneInfo, rules: tuple[_Rule, ...]) -> None:
        self.location, self.zone, self.rules = location, zone, rules
        self.name = f"{_place_name(location.country, location.region)} ({location.timezone})"
        self._days: dict[date, _Day] = {}

    def day(self, local_date: date) -> _Day:
        """The combined rules on `local_date`, worked out once (a pure function of the rules and the date).

        A place is shared by every thread of the process: the answer is returned from here, never read back
        from the memo, which another thread may have emptied meanwhile."""
        known = self._days.get(local_date)
        if known is not None:
            return known
        closures: list[tuple[str, _Rule, str | None]] = []
        for rule in self.rules:
            if (holiday := rule.holiday(local_date)) is not None:
                closures.append((NO_CALLS_HOLIDAY, rule, holiday))
            if rule.no_calls_on_sunday and local_date.weekday() == SUNDAY:
                closures.append((NO_CALLS_SUNDAY, rule, None))
        windows = [rule.window(local_date) for rule in self.rules]
        day = _Day(
            start=max(start for start, _ in windows), end=min(end for _, end in windows),
            closures=tuple(closures),
            sunday_specific=local_date.weekday() == SUNDAY and any(rule.sunday_specific for rule in self.rules),
        )
        if len(self._days) >= _PLACE_DAYS_KEPT:  # a long-lived process moves on through the calendar
            self._days.clear()
        self._days[local_date] = day
        return day

    def allows(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        day = self.day(local.date())
        return day.is_open and day.start <= _seconds_into_day(local) < day.end

    def problems(self, instant: datetime) -> list[tuple[str, str]]:
        """(reason, sentence) for each rule this instant breaks here."""
        local = instant.astimezone(self.zone)
        day = self.day(local.date())
        if day.closures:
            return [(reason, self._closure_sentence(reason, rule, holiday, local)) for reason, rule, holiday in
                    day.closures]
        if day.start <= _seconds_into_day(local) < day.end:
            return []
        clock = local.strftime("%H:%M")
        if day.start >= day.end:
            return [(OUTSIDE_CALLING_HOURS, f"It is {clock} in {self.name}; no calls are allowed there that day.")]
        when = " on Sundays" if day.sunday_specific else ""
        return [(OUTSIDE_CALLING_HOURS, f"It is {clock} in {self.name}; calls are allowed "
                                        f"{_clock(day.start)}–{_clock(day.end)} there{when}.")]

    def _closure_sentence(self, reason: str, rule: _Rule, holiday: str | None, local: datetime) -> str:
        if reason == NO_CALLS_SUNDAY:
            return f"It is Sunday {local:%H:%M} in {self.name}; {rule.name} allows no calls on Sundays."
        days = "that day" if holiday == EXTRA_NO_CALL_DATE else "on public holidays"
        return f"It is {holiday} ({local:%A %Y-%m-%d}) in {self.name}; {rule.name} allows no calls {days}."

    def openings(self, since: datetime, until: datetime) -> Iterator[datetime]:
        """Every instant in [since, until] (give or take a day) at which this place may become callable:
        each day's window start, and each UTC-offset change (a fall-back can re-enter a window)."""
        local_date = since.astimezone(self.zone).date() - timedelta(days=1)
        last = until.astimezone(self.zone).date() + timedelta(days=1)
        while local_date <= last:
            day = self.day(local_date)
            if day.is_open:
                yield _first_instant_at_or_after(self.zone, local_date, day.start)
            if (change := _offset_change(self.zone, local_date)) is not None:
                yield change
            local_date += timedelta(days=1)


def calling_hours_check(*, locations: list[RecipientLocation], at: datetime) -> HoursVerdict:
    """Most restrictive combination of the national rule and each location's state rule.

    Allowed only if every location is inside its window on a day without a ban. A location
    whose country has no national rule, or whose zone is unknown, is "unknown_location" (no
    next_allowed_at: waiting won't fix it). Naive `at` raises ValueError; so does corrupt rule
    data (the gate denies on any error).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("calling_hours_check needs an aware datetime")
    instant = at.astimezone(UTC)
    places, unknown = _places(locations)
    found: dict[str, list[str]] = {}
    if unknown or not places:
        found[UNKNOWN_LOCATION] = unknown or [
            "The recipient's state and time zone could not be determined from the address or the number."]
    for place in places:
        for reason, sentence in place.problems(instant):
            found.setdefault(reason, []).append(sentence)
    reasons = tuple(reason for reason in _REASON_ORDER if reason in found)
    waitable = bool(found) and UNKNOWN_LOCATION not in found
    caps = [rule.max_calls_per_24h for place in places for rule in place.rules if rule.max_calls_per_24h is not None]
    return HoursVerdict(
        allowed=not found,
        reasons=reasons,
        explanations=tuple(" ".join(found[reason]) for reason in reasons),
        next_allowed_at=_next_allowed_at(places, instant) if waitable else None,
        max_calls_per_24h=min(caps, default=None),
        rules_applied=tuple(dict.fromkeys(rule.label for place in places for rule in place.rules)),
    )


def _places(locations: list[RecipientLocation]) -> tuple[list[_Place], list[str]]:
    """Places with their zone and rules, and a sentence for each location that can't be resolved."""
    places, unknown = [], []
    tables: dict[str, dict[str, _Rule]] = {}  # one cache read per country: a number may be in 30 zones of one
    for location in locations:
        try:
            zone = _zone(location.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            unknown.append(f"The time zone {location.timezone!r} is unknown, so local time cannot be worked out.")
            continue
        if location.country not in tables:
            tables[location.country] = _rules_of_country(location.country)
        table = tables[location.country]
        if "" not in table:
            unknown.append(f"There is no calling rule for country {location.country!r}, "
                           f"so calling hours in {location.timezone} are unknown.")
            continue
        state = table.get(location.region) if location.region else None
        places.append(_place(location, zone, (table[""], state) if state else (table[""],)))
    return places, unknown


@lru_cache(maxsize=4096)
def _place(location: RecipientLocation, zone: ZoneInfo, rules: tuple[_Rule, ...]) -> _Place:
    """The place for a location and its rules, shared by every check that names them, so that each day's
    window is worked out once per process rather than once per call. Keyed by the rules' values: a rule
    edited in the admin is a new key, and the reloaded table of an unchanged rule finds the same place."""
    return _Place(location, zone, rules)


def _next_allowed_at(places: list[_Place], instant: datetime) -> datetime | None:
    """The earliest instant within SEARCH_HORIZON at which every place is callable.

    The answer is `instant` or a moment some place opens; each candidate is checked against
    every place with the same rule as the verdict, so DST gaps and folds need no special case here.
    """
    until = instant + SEARCH_HORIZON
    candidates = {instant}
    for place in places:
        candidates.update(place.openings(instant, until))
    for candidate in sorted(c for c in candidates if instant <= c <= until):
        if all(place.allows(candidate) for place in places):
            return candidate
    return None


def _seconds_into_day(local: datetime) -> int:
    return local.hour * 3600 + local.minute * 60 + local.second


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


@lru_cache(maxsize=1024)
def _zone(key: str) -> ZoneInfo:
    """ZoneInfo keeps only 8 zones strongly cached; a toll-free number alone spans more."""
    return ZoneInfo(key)


@lru_cache(maxsize=16384)
def _first_instant_at_or_after(zone: ZoneInfo, local_date: date, seconds: int) -> datetime:
    """The first UTC instant whose wall-clock time in `zone` is at least local_date + seconds.

    In a fall-back fold that is the first occurrence (fold=0); in a spring-forward gap it is
    the transition itself (02:30 on 2026-03-08 in New York -> 03:00 EDT).
    """
    wall = datetime.combine(local_date, time()) + timedelta(seconds=seconds)
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if _wall(first, zone) == wall:
        return first
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = sorted((first, other))
    return _bisect(low, high, lambda u: _wall(u, zone) >= wall)


@lru_cache(maxsize=8192)
def _offset_change(zone: ZoneInfo, local_date: date) -> datetime | None:
    """The instant the zone's UTC offset changes during local_date, if it does (one change a day at most)."""
    midnight = _first_instant_at_or_after(zone, local_date, 0)
    next_midnight = _first_instant_at_or_after(zone, local_date + timedelta(days=1), 0)
    after = next_midnight.astimezone(zone).utcoffset()
    if midnight.astimezone(zone).utcoffset() == after:
        return None
    return _bisect(midnight, next_midnight, lambda u: u.astimezone(zone).utcoffset() == after)


def _bisect(low: datetime, high: datetime, reached) -> datetime:
    """The first whole second in [low, high] where `reached` holds (it holds at high and stays true)."""
    lo, hi = 0, int((high - low).total_seconds())
    while lo < hi:
        mid = (lo + hi) // 2
        if reached(low + timedelta(seconds=mid)):
            hi = mid
        else:
            lo = mid + 1
    return low + timedelta(seconds=hi)
