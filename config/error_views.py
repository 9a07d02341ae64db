"""Django's error pages (handler400/403/404/500 in config/urls.py), answered in JSON on the JSON endpoints.

The REST API (`/api/`) and the webhooks (`/webhooks/`) speak JSON, but a request Django refuses before their views
run (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, more form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS), an address
that matches none of them, or a server error got Django's HTML pages. Here each such answer is JSON with the right
status (413 for too large a body) and a message; every other page keeps Django's HTML.
"""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from core.exceptions import request_refusal

JSON_PATHS = ("/api/", "/webhooks/")


def _speaks_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATHS)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _speaks_json(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, SuspiciousOperation):
        status, message = request_refusal(exception)
    else:
        status, message = 400, "The request could not be read."
    return JsonResponse({"error": message}, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _speaks_json(request):
        return defaults.permission_denied(request, exception)
    return JsonResponse({"error": "You may not do this."}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _speaks_json(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse({"error": "Not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _speaks_json(request):
        return defaults.server_error(request)
    return JsonResponse({"error": "Server error: the request may not have been applied. Try again later."}, status=500)
