"""The viewer's time zone: every screen shows times in the zone of the browser looking at it.

The browser says its zone once: `static/js/formats.js` (loaded by every page, the sign-in page first) writes it
to the `tz` cookie, and `ViewerTimezoneMiddleware` activates it for each request, so Django's templates convert
every aware datetime to it. A cookie rather than a per-user setting or the session: nobody has to set anything,
a supervisor travelling sees their own clock, and a GET writes nothing on the server (the session would be a
database write on a read). A missing or unknown zone falls back to `settings.TIME_ZONE` (UTC), and the screens
print the zone's abbreviation beside each time, so a time is never ambiguous.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import lru_cache
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

COOKIE = "tz"


@lru_cache(maxsize=1024)
def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA zone of that name, or None for a name that is not one (a cookie is the client's to change)."""
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class ViewerTimezoneMiddleware:
    """Activates the zone the viewer's browser announced (the `tz` cookie) for the request, the default otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = zone_named(unquote(request.COOKIES.get(COOKIE, "")))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def place_name(zone_name: str) -> str:
    """"America/New_York" -> "New York": the city a zone is named after, as a person says it."""
    return zone_name.rsplit("/", 1)[-1].replace("_", " ")


def short_when(moment: datetime, zone: tzinfo, *, now: datetime) -> str:
    """"Dec 7, 14:03 PST" in `zone`; with the year when it is not this year's."""
    local = moment.astimezone(zone)
    day = f"{local:%b} {local.day}" + (f" {local.year}" if local.year != now.astimezone(zone).year else "")
    return f"{day}, {local:%H:%M} {local.tzname()}"
