"""Workers' task processes run below the web's priority, so a busy machine serves screens and webhooks first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# A fresh interpreter (a niced test process would stay niced): Celery's prefork pool sends
# `worker_process_init` in each task process it starts; this does the same and prints the niceness after.
CHILD = """
import os
import django
django.setup()
from celery.signals import worker_process_init
import config.celery
before = os.nice(0)
worker_process_init.send(sender=None)
print(before, os.nice(0))
"""


def niceness_after_init(worker_niceness: str) -> tuple[int, int]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WORKER_NICENESS": worker_niceness}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    before, after = done.stdout.split()[-2:]
    return int(before), int(after)


def test_a_task_process_runs_at_the_configured_niceness():
    before, after = niceness_after_init("7")
    assert after == min(19, before + 7)


def test_zero_keeps_the_web_priority():
    before, after = niceness_after_init("0")
    assert after == before


@pytest.mark.parametrize("value", ["40", "-5"])
def test_out_of_range_values_are_clamped(value):
    before, after = niceness_after_init(value)
    assert after == (min(19, before + 19) if value == "40" else before)
