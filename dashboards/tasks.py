from celery import shared_task

from dashboards.rollups import ROLLUP_RECENT_DAYS, rollups_refresh
from dashboards.services import alerts_email


@shared_task
def email_live_alerts_task() -> int:
    """Every minute: new breaches of the 5-minute rule and idle agents, by email when configured."""
    return alerts_email()


@shared_task
def refresh_rollups_today_task() -> int:
    """Every minute: today's roll-ups, so the dashboard is never more than a minute or two behind."""
    return rollups_refresh(days=1)


@shared_task
def refresh_rollups_recent_task() -> int:
    """Every ten minutes: the days whose carts can still be recovered or contacted."""
    return rollups_refresh(days=ROLLUP_RECENT_DAYS)


@shared_task
def refresh_rollups_all_task() -> int:
    """Nightly: every day, taking in what changed late (an order matched weeks on, an erasure)."""
    return rollups_refresh()
