"""Celery: broker URL is set per environment; this module holds policy and the beat schedule."""

from __future__ import annotations

from celery.schedules import crontab
from kombu import Queue

from config.env import env_int

CELERY_TASK_IGNORE_RESULT = True

# How much lower than the web processes a worker's task processes run (the Unix `nice` increment, 0 to 19):
# when the machine's cores are all busy, an agent's screen and a store's webhook (stored, answered, applied
# later) are served first, and the backlog of deliveries, messages and sweeps is worked off as soon as they
# leave room. 0 keeps the workers at the web's priority.
WORKER_NICENESS = env_int("WORKER_NICENESS", 10)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# Ingestion (applying each webhook delivery, opening each cart once it has gone quiet) has a queue of its own,
# served by its own worker (`celery -A config worker -Q ingest`; `make run` starts both): a minute's
# re-scoring sweep or a burst of recovery messages on the default queue never holds a delivery back. A worker
# started without -Q serves both queues.
DEFAULT_QUEUE = "celery"
INGEST_QUEUE = "ingest"
CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
CELERY_TASK_QUEUES = (Queue(DEFAULT_QUEUE), Queue(INGEST_QUEUE))
CELERY_TASK_ROUTES = {
    "recovery.tasks.process_webhook_deliveries_task": {"queue": INGEST_QUEUE},
    "recovery.tasks.process_webhook_delivery_task": {"queue": INGEST_QUEUE},
    "recovery.tasks.open_cart_if_abandoned_task": {"queue": INGEST_QUEUE},
}

# The whole beat schedule lives here.
CELERY_BEAT_SCHEDULE = {
    "open-abandoned-carts": {
        "task": "recovery.tasks.open_abandoned_carts_task",
        "schedule": 60.0,
    },
    "process-stuck-webhook-deliveries": {
        "task": "recovery.tasks.process_pending_deliveries_task",
        "schedule": 120.0,
    },
    "reprioritize-open-carts": {
        "task": "recovery.tasks.reprioritize_open_carts_task",
        "schedule": 60.0,
        "options": {"expires": 55},  # a sweep still queued when the next is due is dropped, not run late
    },
    "release-due-call-retries": {
        "task": "agents.tasks.release_due_call_retries_task",
        "schedule": 30.0,
    },
    "send-due-recovery-messages": {
        "task": "recovery.tasks.send_due_messages_task",
        "schedule": 60.0,
    },
    "flag-interrupted-sends": {
        "task": "recovery.tasks.flag_interrupted_sends_task",
        "schedule": 300.0,
    },
    "fail-stalled-dnc-imports": {
        "task": "compliance.tasks.fail_stalled_dnc_imports_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "advance-cadences": {
        "task": "recovery.tasks.advance_cadences_task",
        "schedule": 300.0,
    },
    "reconcile-shopify-checkouts": {
        "task": "recovery.tasks.reconcile_shopify_stores_task",
        "schedule": 900.0,  # each run re-reads 10 minutes of the last one (WINDOW_OVERLAP)
    },
    "email-live-alerts": {
        "task": "dashboards.tasks.email_live_alerts_task",
        "schedule": 60.0,
    },
    "refresh-dashboard-rollups-today": {
        "task": "dashboards.tasks.refresh_rollups_today_task",
        "schedule": 60.0,
    },
    "refresh-dashboard-rollups-recent": {
        "task": "dashboards.tasks.refresh_rollups_recent_task",
        "schedule": 600.0,
    },
    "refresh-dashboard-rollups-nightly": {
        "task": "dashboards.tasks.refresh_rollups_all_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "scrub-open-carts-nightly": {
        "task": "recovery.tasks.scrub_open_carts_task",
        "schedule": crontab(hour=3, minute=15),
    },
    "purge-closed-carts-nightly": {
        "task": "compliance.tasks.purge_closed_carts_task",
        "schedule": crontab(hour=3, minute=45),  # personal data of carts closed over RETENTION_DAYS ago
    },
}
