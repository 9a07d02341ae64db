"""Ingestion has its own queue: applying deliveries and opening quiet carts never wait behind a sweep."""

from __future__ import annotations

import pytest

from config.celery import app


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize("task_name", ["recovery.tasks.process_webhook_deliveries_task",
                                       "recovery.tasks.process_webhook_delivery_task",
                                       "recovery.tasks.open_cart_if_abandoned_task"])
def test_ingestion_tasks_go_to_the_ingest_queue(settings, task_name):
    assert queue_of(task_name) == settings.INGEST_QUEUE == "ingest"


@pytest.mark.parametrize("task_name", ["recovery.tasks.reprioritize_open_carts_task",
                                       "recovery.tasks.send_message_step_task",
                                       "recovery.tasks.process_pending_deliveries_task",
                                       "dashboards.tasks.refresh_rollups_today_task"])
def test_sweeps_and_messages_stay_on_the_default_queue(settings, task_name):
    assert queue_of(task_name) == settings.DEFAULT_QUEUE == "celery"


def test_a_worker_started_without_queues_serves_both():
    assert set(app.amqp.queues) == {"celery", "ingest"}


def test_make_run_starts_a_worker_for_each_queue(settings, tmp_path):
    from demo.management.commands.run_product import Command

    settings.BASE_DIR = tmp_path
    commands = Command()._commands(host="127.0.0.1", port=8000)

    queues = sorted(argument for command in commands.values() for argument in command
                    if argument.startswith("--queues="))
    assert queues == ["--queues=celery", "--queues=ingest"]
