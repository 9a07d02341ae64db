"""The admin's pages alone may use inline styles (Django's change list writes a <style> element); never scripts."""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from django.http import HttpRequest, HttpResponse

ADMIN_PREFIX = "/admin/"


class AdminInlineStylesMiddleware:
    """Placed after csp.middleware.CSPMiddleware, so the policy it writes on the way out takes this update in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX) and getattr(response, "_csp_update", None) is None:
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return response
