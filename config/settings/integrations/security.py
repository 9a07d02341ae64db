"""Sign-in lockout (django-axes), session expiry and the Content-Security-Policy (django-csp), in every environment.

Production adds secure cookies, HSTS and the SSL redirect (config/settings/production.py).
"""

from __future__ import annotations

from datetime import timedelta

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_int

# django-axes: after AXES_FAILURE_LIMIT failed sign-ins for one username from one client address, that pair is locked
# out for AXES_COOLOFF_TIME; a successful sign-in resets the count. Admins unlock early in the admin (Access attempts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password"]
# The reverse proxies in front that append to X-Forwarded-For (AXES_PROXY_COUNT is the older name, still read).
# The lockout, the audit trail and the unsubscribe evidence all key on the client address they imply.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", env_int("AXES_PROXY_COUNT", 0))
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, got {TRUSTED_PROXY_COUNT}.")
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_ip"

# A session lasts a shift (9 hours by default) from sign-in, not forever; signing out ends it at once.
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 9) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# No inline scripts or styles anywhere: every script is a file under static/ (htmx, the console, the charts);
# data for scripts travels in json_script blocks, which are not executed. The Voice SDK talks to Twilio over
# HTTPS and WebSockets and plays its ringtones from Twilio's media host.
_TWILIO = ["https://*.twilio.com", "wss://*.twilio.com", "https://media.twiliocdn.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF, *_TWILIO],
        "media-src": [SELF, *_TWILIO],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
