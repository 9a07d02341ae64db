from celery import shared_task

from dashboards.services import alerts_email


@shared_task
def email_live_alerts_task() -> int:
    """Every minute: new breaches of the 5-minute rule and idle agents, by email when configured."""
    return alerts_email()
