"""The address of the client behind the reverse proxies we trust: one answer for the audit trail, the
unsubscribe evidence and the sign-in lockout (django-axes calls `client_ip` through AXES_CLIENT_IP_CALLABLE).

Behind a proxy, REMOTE_ADDR is the proxy's own address: every client would share one audit address and one
lockout. Each proxy appends the address it saw to X-Forwarded-For, so with TRUSTED_PROXY_COUNT proxies in front the
client is the entry that many places from the right. Entries further left were written by the client itself and
can say anything, so they are never read. With a count of 0 (no proxy) the header is ignored altogether.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the outermost trusted proxy saw it; REMOTE_ADDR when no proxy is trusted, or when
    the header is missing, too short (the request did not come through every proxy) or not an address."""
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
