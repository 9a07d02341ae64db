"""Twilio: the one request-signature check every Twilio webhook uses (`signatures`), browser calling (`voice`: the
Voice SDK's access token, TwiML, the agent's identity) and texts through the Messages API (`sms`, with the errors
every SMS backend raises). The local and unconfigured SMS backends stay in `recovery.messaging.backends`, which
also names the Twilio one, so `SMS_BACKEND` keeps its dotted paths."""
