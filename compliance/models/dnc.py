from __future__ import annotations

from django.conf import settings
from django.db import models


class DncList(models.Model):
    """A Do-Not-Call list. Entries live in a partition of `compliance_dncentry` per list.

    `version` increases with every import, so each gate decision can name the
    list versions it consulted.
    """

    class Kind(models.TextChoices):
        NATIONAL = "national", "National registry (US)"
        STATE = "state", "State list (US)"
        INTERNAL = "internal", "Internal list"
        UK_TPS = "uk_tps", "UK TPS"
        UK_CTPS = "uk_ctps", "UK CTPS"

    name = models.SlugField(max_length=50, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    region = models.CharField(max_length=10, blank=True, help_text="State code for a state list (e.g. TX)")
    is_active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=0)
    entry_count = models.PositiveBigIntegerField(default=0)
    last_full_import_at = models.DateTimeField(null=True, blank=True)
    last_import_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = "DNC list"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class DncEntry(models.Model):
    """One number on one list (E.164). The table is partitioned by list (see migrations);
    a full import fills a fresh partition and swaps it in atomically."""

    dnc_list = models.ForeignKey(DncList, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    phone = models.CharField(max_length=16)
    pk = models.CompositePrimaryKey("dnc_list", "phone")

    class Meta:
        managed = False
        db_table = "compliance_dncentry"
        verbose_name = "DNC entry"
        verbose_name_plural = "DNC entries"

    def __str__(self) -> str:
        return self.phone


class DncImport(models.Model):
    """One import into a list: its mode, progress, result and rejected lines."""

    class Mode(models.TextChoices):
        REPLACE = "replace", "Full list (replace)"
        ADD = "add", "Change list: additions"
        REMOVE = "remove", "Change list: deletions"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        AWAITING_CONFIRMATION = "confirm", "Awaiting confirmation"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ENDED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    dnc_list = models.ForeignKey(DncList, on_delete=models.PROTECT, related_name="imports")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    file_format = models.CharField(max_length=10, default="ftc")
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500, blank=True, help_text="Uploaded file waiting for the worker")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    bytes_total = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    lines_read = models.PositiveBigIntegerField(default=0)
    numbers_loaded = models.PositiveBigIntegerField(default=0)
    lines_rejected = models.PositiveBigIntegerField(default=0)
    rejected_report = models.TextField(blank=True, help_text="line number, reason, content (first 10,000)")
    error = models.TextField(blank=True)
    version_after = models.PositiveIntegerField(null=True, blank=True)
    # A full replace: the list's size before it and the size the file leaves (known before anything is swapped).
    count_before = models.PositiveBigIntegerField(null=True, blank=True)
    count_after = models.PositiveBigIntegerField(null=True, blank=True)
    replace_confirmed = models.BooleanField(
        default=False, help_text="A full replace an admin confirmed after seeing the sizes (or --allow-shrink): "
                                 "it may remove more than 20% of the list")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the running import")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "DNC import"

    def __str__(self) -> str:
        return f"{self.dnc_list.name} {self.get_mode_display()} ({self.get_status_display()})"

    @property
    def shrink_count(self) -> int:
        """How many numbers a full replace takes off the list (0 when it grows it or is not a replace)."""
        if self.count_before is None or self.count_after is None:
            return 0
        return max(self.count_before - self.count_after, 0)

    @property
    def shrink_percent(self) -> int:
        return self.shrink_count * 100 // self.count_before if self.shrink_count else 0

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.bytes_read * 100 / self.bytes_total) if self.bytes_total else 0
