"""How every screen writes a phone number, an amount and a time (a builtin library: no `{% load %}` needed).

- `{{ customer.phone|phone }}`: the national format of the number's country, its E.164 form on hover and when
  copied (`static/js/formats.js`); a number that does not parse is shown as it is.
- `{{ cart.total_value|money:cart.currency }}`: symbol, grouping and the currency's decimals; `{{ sum|money }}`
  for a sum over stores, in the reporting currency.
- `{{ moment|local_time }}`: in the viewer's zone with its abbreviation ("Dec 7, 14:03 PST");
  `{{ moment|local_time:zone_name }}` adds the customer's own time beside it, where what matters is when it is
  for them (callbacks, the live floor, the decision log); of a list of zones, the first.
  `{{ moment|customer_time:zone_name }}` is that alone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.money import money_text
from core.phones import national_form
from core.timezones import place_name, short_when, zone_named

register = template.Library()


@register.filter
def phone(value: object) -> SafeString | str:
    if value in (None, ""):
        return ""
    forms = national_form(value)
    if forms is None:
        return str(value)
    national, e164 = forms
    return format_html('<span class="phone" title="{}" data-e164="{}">{}</span>', e164, e164, national)


@register.filter
def money(value: object, currency: str = "") -> str:
    """Without a currency: a sum over stores, in `settings.REPORTING_CURRENCY`."""
    return money_text(value, currency or settings.REPORTING_CURRENCY)  # type: ignore[arg-type]


def _zone_name(zones: str | list[str] | tuple[str, ...] | None) -> str:
    """A zone's name; of several (where a number's owner may be), the first."""
    if isinstance(zones, list | tuple):
        return str(zones[0]) if zones else ""
    return zones or ""


@register.filter
def local_time(value: datetime | None, customer_zone: str | list[str] = "") -> SafeString | str:
    customer_zone = _zone_name(customer_zone)
    if not isinstance(value, datetime):
        return "–" if value in (None, "") else str(value)
    now = timezone.now()
    viewer = timezone.get_current_timezone()
    shown = format_html('<time datetime="{}" title="{} UTC">{}</time>', value.isoformat(),
                        value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                        short_when(value, viewer, now=now))
    theirs = zone_named(customer_zone or "")
    if theirs is None or value.astimezone(theirs).utcoffset() == value.astimezone(viewer).utcoffset():
        return shown
    return format_html("{} {}", shown, customer_time(value, customer_zone))


@register.filter
def customer_time(value: datetime | None, customer_zone: str | list[str]) -> SafeString | str:
    customer_zone = _zone_name(customer_zone)
    zone = zone_named(customer_zone)
    if not isinstance(value, datetime) or zone is None:
        return "–" if value in (None, "") else str(value)
    return format_html('<span class="customer-time muted" title="{}">{} in {}</span>', customer_zone,
                       short_when(value, zone, now=timezone.now()), place_name(customer_zone))
