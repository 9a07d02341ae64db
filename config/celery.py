"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cart_recovery")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def lower_priority(**kwargs) -> None:
    """Run this task process `WORKER_NICENESS` below the web's priority (see the setting)."""
    from django.conf import settings

    increment = max(0, min(19, getattr(settings, "WORKER_NICENESS", 0)))
    if increment:
        os.nice(increment)
