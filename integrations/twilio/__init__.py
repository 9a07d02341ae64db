"""Twilio: the one request-signature check every Twilio webhook uses (`signatures`) and browser calling (`voice`:
the Voice SDK's access token, TwiML, the agent's identity). The SMS backends' REST client is still in
`recovery/messaging/backends.py`, named by dotted path in settings."""
