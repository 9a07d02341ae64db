from django.conf import settings
from django.db import models

from compliance.models.append_only import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """Who looked at a customer, changed a policy, list, consent, opt-out or role, or took data out, and when.

    Append-only (a database trigger refuses UPDATE and DELETE); admins search it at /compliance/audit/. The
    summary never holds a full phone number or email (masked as the logs are).
    """

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed a customer's details"
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"
        IMPORTED = "imported", "Imported"
        EXPORTED = "exported", "Exported data"

    at = models.DateTimeField(db_index=True)
    # Rows never change, so references outlive what they point to instead of being nulled.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+")
    actor_name = models.CharField(max_length=150, help_text="The username then, or system:<what> for the product")
    action = models.CharField(max_length=20, choices=Action.choices)
    subject_type = models.CharField(max_length=60, help_text="e.g. customer, store, compliance policy, DNC list")
    subject_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=500)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}, personal data masked")
    ip = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["actor", "-at"]), models.Index(fields=["subject_type", "subject_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.subject_type} {self.subject_id}"
