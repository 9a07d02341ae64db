from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bench_env() -> Iterator[dict[str, str]]:
    """The environment a smoke run gets: embedded PostgreSQL and Redis of their own in a temporary folder (made
    once for every benchmark: initdb is the slow part), results in another, and none of the test run's URLs or
    settings, so a benchmark starts its servers exactly as `make bench-*` does; the folder goes at the end.

    Not pytest's tmp_path: its folders are private to the user, and the embedded PostgreSQL, started by root,
    runs as a user of its own that must reach its data folder."""
    root = Path(tempfile.mkdtemp(prefix="bench-smoke-"))
    root.chmod(0o755)
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "BENCH_DATABASE_URL", "DJANGO_SETTINGS_MODULE",
                          "SHOPIFY_API_SECRET", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env["EMBEDDED_DATA_DIR"] = str(root / "var")
    env["BENCH_RESULTS_DIR"] = str(root / "results")
    yield env
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def results_dir(bench_env) -> Path:
    return Path(bench_env["BENCH_RESULTS_DIR"])
