from django.db import models


class AlertNotice(models.Model):
    """An alert of the live view that was emailed: each is sent once (a breach, an idle stretch)."""

    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=100)
    text = models.CharField(max_length=500)
    emailed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="alert_notice_once")]

    def __str__(self) -> str:
        return self.text
