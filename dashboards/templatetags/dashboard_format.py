from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.1234 -> "12.3%"; None (nothing to divide by) -> "–"."""
    return "–" if value is None else f"{float(value) * 100:.1f}%"


@register.filter
def clock(seconds) -> str:
    """Seconds as a clock: 75 -> "1:15", 3725 -> "1:02:05"; None (nothing to average) -> "–"."""
    if seconds is None:
        return "–"
    minutes, second = divmod(round(float(seconds)), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"
