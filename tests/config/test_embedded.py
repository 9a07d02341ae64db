"""Embedded services stop when the last process using them exits, even when several exit together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_concurrent_processes_leave_no_postgres_or_redis_running(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env["EMBEDDED_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "manage.py", "check", "-v0"]

    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, "\n".join(outputs)

    assert json.loads((tmp_path / "redis" / "holders.json").read_text()) == []
    assert servers_using(tmp_path) == []


def servers_using(data_dir: Path) -> list[str]:
    """PostgreSQL names its data folder on its command line; redis-server runs inside its data folder."""
    found = []
    for process in psutil.process_iter(["name", "cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in cmdline or str(data_dir) in (process.info["cwd"] or ""):
            found.append(f"{process.pid} {process.info['name']}: {cmdline}")
    return found
