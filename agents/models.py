from __future__ import annotations

from django.conf import settings
from django.db import models


class AgentProfile(models.Model):
    """What a recovery specialist works: which stores (blank: all) and languages."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    stores = models.ManyToManyField("recovery.Store", blank=True, help_text="Blank: every store")
    languages = models.CharField(max_length=100, blank=True, default="en", help_text="Comma-separated, e.g. en, es")
    is_available = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Agent profile of {self.user}"
