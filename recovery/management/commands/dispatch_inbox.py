"""Listen for new webhook deliveries and queue their processing (runs beside the Celery worker).

Webhook requests only write the inbox (and notify); this process turns each
notification into a Celery task, so the request path never waits on the broker.
`make run` starts it; in production run one per deployment (more are harmless:
processing a delivery twice is a no-op).
"""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from recovery.services.dispatcher import dispatch_forever


class Command(BaseCommand):
    help = "Queue a Celery task for every new webhook delivery, as it arrives."

    def handle(self, *args, **options):
        self._stop = False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._request_stop)
        if options["verbosity"]:
            self.stdout.write("Inbox dispatcher listening for webhook deliveries.")
        dispatch_forever(should_stop=lambda: self._stop)

    def _request_stop(self, signum, frame) -> None:
        self._stop = True
