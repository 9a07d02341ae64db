"""What the agent says, per store: the spoken lines a store's supervisor rewrote (the rest are the defaults in
`agents.script_lines`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ScriptLine(models.Model):
    """A store's own wording of one spoken line of the script, with placeholders (`agents.script_lines`) filled
    in for each call. A store without one says the default line."""

    class Line(models.TextChoices):
        OPENING = "opening", "Opening (step 1)"
        FRICTION = "friction", "Friction question (step 2)"
        COMPLETION = "completion", "Completion (step 5)"

    store = models.ForeignKey("recovery.Store", on_delete=models.CASCADE, related_name="script_lines")
    line = models.CharField(max_length=20, choices=Line.choices)
    text = models.TextField(max_length=600)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["store", "line"]
        constraints = [models.UniqueConstraint(fields=["store", "line"], name="script_line_one_per_store")]

    def __str__(self) -> str:
        return f"{self.get_line_display()} of {self.store}"
