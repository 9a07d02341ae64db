"""Twilio: with no credentials, a local backend records calls and messages."""

from config.env import env_str

TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")

# Like EMAIL_BACKEND: the real client with credentials, else a backend that records texts.
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "recovery.messaging.backends.TwilioSmsBackend" if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN
    else "recovery.messaging.backends.LocalSmsBackend",
)
SMS_FILE_PATH = env_str("SMS_FILE_PATH", "")

# The public URL Twilio calls (deployments behind a proxy); webhook signatures are
# computed over it. Unset: the URL the request arrived at.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
# Links in emails and texts (unsubscribe) need an absolute address even where Twilio can't call us.
LINK_BASE_URL = PUBLIC_BASE_URL or env_str("LINK_BASE_URL", "http://127.0.0.1:8000")

# Browser calling (Voice JS SDK): an API key to sign access tokens and the TwiML App whose Voice URL is
# POST /webhooks/twilio/voice/. Without all of them, the console simulates the call's progress offline.
TWILIO_API_KEY = env_str("TWILIO_API_KEY", "")
TWILIO_API_SECRET = env_str("TWILIO_API_SECRET", "")
TWILIO_TWIML_APP_SID = env_str("TWILIO_TWIML_APP_SID", "")
VOICE_TOKEN_TTL_SECONDS = 600
