"""The console's HTTP helpers: the typed htmx request, whether to answer with a fragment, and the redirect an
htmx request follows as a full page load.

One place for both decisions, so every console view answers htmx the same way (django-htmx's documented
typing: https://django-htmx.readthedocs.io/en/latest/tips.html#type-checking). Another app may later move this
module to `core`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through `HtmxMiddleware`: type views with it so `request.htmx` is known."""

    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """Whether to answer with the swapped fragment rather than the whole page: an htmx request asks for a
    fragment, a boosted one (a link or form htmx upgraded) wants the page it would have had without htmx."""
    return bool(request.htmx) and not request.htmx.boosted


def redirect_page(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """Go to `url` as a full page load: htmx is told to follow with `HX-Redirect` (a plain 302 would be
    followed by the XHR and swapped into the fragment), a plain request gets the 302. The htmx answer keeps
    status 204 (no content: nothing is swapped) as the console always sent."""
    if request.htmx:
        return HttpResponseClientRedirect(url, status=204)
    return redirect(url)
