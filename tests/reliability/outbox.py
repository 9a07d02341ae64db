"""An email backend for the worker-crash tests: records each message to a file (RELIABILITY_OUTBOX) and can
then stall (RELIABILITY_SEND_DELAY seconds), like a mail server that took the message and answers slowly.

A killed worker process leaves this file behind, which is how the test counts what was really sent.
"""

from __future__ import annotations

import json
import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class RecordingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        with open(os.environ["RELIABILITY_OUTBOX"], "a", encoding="utf-8") as outbox:
            for message in email_messages:
                outbox.write(json.dumps({"to": message.to, "subject": message.subject,
                                         "message_id": message.extra_headers.get("Message-ID", "")}) + "\n")
            outbox.flush()
            os.fsync(outbox.fileno())
        time.sleep(float(os.environ.get("RELIABILITY_SEND_DELAY", "0")))
        return len(email_messages)
