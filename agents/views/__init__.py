"""Views of the agents app: the team (`team`), the call console (`console`), the script's settings
(`script`) and Twilio's voice webhooks (`telephony`)."""
