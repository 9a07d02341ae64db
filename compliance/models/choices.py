from django.db import models


class Channel(models.TextChoices):
    VOICE = "voice", "Phone call"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class OptOutScope(models.TextChoices):
    VOICE = "voice", "Calls"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    ALL = "all", "All contact"


class ConsentBasis(models.TextChoices):
    EXPRESS_WRITTEN = "express_written", "Express written consent"
    EBR_INQUIRY = "ebr_inquiry", "Established business relationship (inquiry)"
    LEGITIMATE_INTEREST = "legitimate_interest", "Legitimate interest"
