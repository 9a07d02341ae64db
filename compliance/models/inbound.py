from __future__ import annotations

from django.db import models


class InboundMessage(models.Model):
    """One text a customer sent us, stored once per Twilio `MessageSid`, as it arrived.

    The unique sid is what makes a replayed webhook (a captured START posted again, Twilio's own retry) a no-op:
    only the request that stores the row applies the message's intent. Rows are the record later features read
    (two-way conversations); erasure and the retention purge blank their number and body, keeping the sid so a
    replay stays a replay.
    """

    message_sid = models.CharField(max_length=64, unique=True)
    from_number = models.CharField(max_length=16, blank=True, db_index=True)
    body = models.TextField(blank=True)
    num_media = models.PositiveSmallIntegerField(default=0)
    intent = models.CharField(max_length=10, blank=True, help_text="opt_out, opt_in, help, or empty: a plain reply")
    # The store that last texted the number (whose name an answer used); kept if the store goes, like OptOut's.
    store = models.ForeignKey("recovery.Store", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "inbound text"

    def __str__(self) -> str:
        return f"{self.message_sid} from {self.from_number or '[erased]'}"
