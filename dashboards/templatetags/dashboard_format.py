from django import template

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.1234 -> "12.3%"; None (nothing to divide by) -> "–"."""
    return "–" if value is None else f"{float(value) * 100:.1f}%"
