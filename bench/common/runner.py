"""The run of every benchmark: a results folder, a stamp, everything started registered on one ExitStack and
closed whatever happens (Ctrl-C and SIGTERM included, a second Ctrl-C ignored during the clean-up).

Exit codes: what `execute` returns (0 all checks passed, 1 a target or check failed), 2 the run broke
(a RuntimeError, when `logs` says where to look), 130 interrupted.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(execute: Callable[[object, str, ExitStack], int], args, *, results_dir: Path, stopping: str,
        logs: Callable[[str], str] | None = None) -> int:
    """Run `execute(args, stamp, stack)`; `stopping` names what an interruption stops, `logs(stamp)` where the
    logs of a broken run are."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupt)
    stack = ExitStack()
    try:
        return execute(args, stamp, stack)
    except KeyboardInterrupt:
        sys.stderr.write(f"Interrupted: stopping {stopping}.\n")
        return 130
    except RuntimeError as exc:
        if logs is None:
            raise
        sys.stderr.write(f"Benchmark failed: {exc}\n({logs(stamp)})\n")
        return 2
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the clean-up short
            signal.signal(signum, signal.SIG_IGN)
        stack.close()
