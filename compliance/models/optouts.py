from __future__ import annotations

from django.conf import settings
from django.db import models

from compliance.models.append_only import AppendOnlyModel
from compliance.models.choices import OptOutScope


class OptOut(AppendOnlyModel):
    """A customer's opt-out (or opt back in) for a channel, as it happened.

    Append-only: the newest row for a number or address and scope decides.
    Opt-outs apply to every store (the safe reading of "do not contact me").
    """

    class Action(models.TextChoices):
        OPT_OUT = "opt_out", "Opted out"
        OPT_IN = "opt_in", "Opted back in"

    class Source(models.TextChoices):
        AGENT = "agent", "Agent (spoken request)"
        SMS = "sms", "Inbound SMS"
        EMAIL_LINK = "email_link", "Email unsubscribe link"
        IMPORT = "import", "Import"
        ADMIN = "admin", "Admin"

    phone = models.CharField(max_length=16, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    scope = models.CharField(max_length=10, choices=OptOutScope.choices)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.OPT_OUT)
    source = models.CharField(max_length=20, choices=Source.choices)
    evidence = models.TextField(blank=True, help_text="The words used, the message body, the link clicked")
    # Rows never change, so references outlive what they point to instead of being nulled.
    store = models.ForeignKey("recovery.Store", null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                                    db_constraint=False, related_name="+")
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "opt-out"

    def __str__(self) -> str:
        return f"{self.phone or self.email} {self.get_action_display()} ({self.get_scope_display()})"
