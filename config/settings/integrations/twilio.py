"""Twilio: with no credentials, a local backend records calls and messages (production refuses instead)."""

from django.core.exceptions import ImproperlyConfigured

from config.env import env_str

TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")

# Like EMAIL_BACKEND: a dotted path, or "twilio" (the real client) or "local" (records texts, never sends them).
# Unset: the real client with credentials, else the recorder here; production refuses to send instead
# (config/settings/production.py), so a text is never reported sent without a provider taking it.
SMS_BACKENDS = {
    "twilio": "recovery.messaging.backends.TwilioSmsBackend",
    "local": "recovery.messaging.backends.LocalSmsBackend",
    "unconfigured": "recovery.messaging.backends.UnconfiguredSmsBackend",
}


def sms_backend_path(chosen: str, *, fallback: str) -> str:
    """The backend class for SMS_BACKEND's value (an alias or a dotted path), or `fallback`'s when unset."""
    if chosen and chosen not in SMS_BACKENDS and "." not in chosen:
        raise ImproperlyConfigured(f"SMS_BACKEND must be one of {', '.join(SMS_BACKENDS)} or a dotted path, "
                                   f"got {chosen!r}.")
    return SMS_BACKENDS.get(chosen, chosen) if chosen else SMS_BACKENDS[fallback]


SMS_BACKEND = sms_backend_path(env_str("SMS_BACKEND", ""),
                               fallback="twilio" if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN else "local")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", "")

# The public URL Twilio calls (deployments behind a proxy); webhook signatures are
# computed over it. Unset: the URL the request arrived at.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
# Links in emails and texts (unsubscribe) need an absolute address even where Twilio can't call us.
LINK_BASE_URL = PUBLIC_BASE_URL or env_str("LINK_BASE_URL", "http://127.0.0.1:8000")

# Browser calling (Voice JS SDK): an API key to sign access tokens and the TwiML App whose Voice URL is
# POST /webhooks/twilio/voice/. Without all of them, the console simulates the call's progress offline here;
# production refuses to dial instead unless VOICE_BACKEND=offline chose the simulation.
VOICE_BACKENDS = ("", "twilio", "offline")
VOICE_BACKEND = env_str("VOICE_BACKEND", "")
VOICE_OFFLINE_SIMULATION = VOICE_BACKEND != "twilio"
TWILIO_API_KEY = env_str("TWILIO_API_KEY", "")
TWILIO_API_SECRET = env_str("TWILIO_API_SECRET", "")
TWILIO_TWIML_APP_SID = env_str("TWILIO_TWIML_APP_SID", "")
VOICE_TOKEN_TTL_SECONDS = 600
