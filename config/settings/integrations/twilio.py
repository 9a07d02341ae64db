"""Twilio: with no credentials, a local backend records calls and messages."""

from config.env import env_str

TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")

# The public URL Twilio calls (deployments behind a proxy); webhook signatures are
# computed over it. Unset: the URL the request arrived at.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
