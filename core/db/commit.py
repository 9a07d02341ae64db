"""The work queue's pop commits without waiting for the write-ahead log to reach the disk.

`ASYNCHRONOUS_COMMIT` is a select-list item: `set_config(..., true)` is SET LOCAL, so it holds for the
statement's own transaction in autocommit, or the caller's when inside one, and for nothing after it. Only a
statement whose loss in a crash costs nothing but a lease may carry it (decision record:
docs/decisions/0003-asynchronous-commit-of-the-queue-pop.md).
"""

from __future__ import annotations

ASYNCHRONOUS_COMMIT = "set_config('synchronous_commit', 'off', true)"
