"""The transaction that turns a loaded file into the list: a full replace swaps in a new partition, a
change file adds or deletes its numbers; either way with short lock waits, retried."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import psycopg

from compliance.models import DncImport, DncList
from compliance.services.dnc.errors import DncFileInvalid, DncImportBusy, DncReplaceShrinks
from compliance.services.dnc.formats import ImportCounts
from compliance.services.dnc.lists import ENTRIES_TABLE, ensure_dnc_partition, partition_name, stage_name


class ImportRun(Protocol):
    """What the swap needs of a running import (`compliance.services.dnc.imports.ImportRun` is the one), so that
    this module does not import the module that calls it."""

    record: DncImport
    list_id: int
    counts: ImportCounts
    count_before: int | None
    count_after: int | None

    def beat(self) -> None: ...

    def copy_into(self, pg: psycopg.Connection, table: str, *, freeze: bool) -> None: ...

    def finish(self, cursor: Any, *, entry_count: int | None = None, delta: int = 0) -> None: ...

# The entries table's columns (migration 0002), spelled out for the tables an import loads: `LIKE` would
# hold a lock on the entries table for the whole load and stall other lists' swaps. ATTACH refuses a
# table whose columns differ, so a change to the entries table cannot go unnoticed here.
ENTRY_COLUMNS = "dnc_list_id bigint NOT NULL, phone varchar(16) NOT NULL"
# The swap needs brief exclusive locks on the entries table; a long query on it must not queue every
# lookup behind us, so we give up after a short wait, keep the loaded data and try again.
SWAP_LOCK_TIMEOUT = "2s"
SWAP_ATTEMPTS = 5
SWAP_RETRY_PAUSE_SECONDS = 3.0
# A registry file that is truncated, or a test file uploaded as the full list, would make most of a list
# callable at once; the registry's own full files change by a few percent a month. So a full replace that
# removes more than this share of a list is refused unless someone who has seen both sizes confirmed it.
REPLACE_SHRINK_LIMIT_PERCENT = 20


def replace_removes_too_much(*, count_before: int, count_after: int) -> bool:
    """Whether a full replace taking a list from `count_before` to `count_after` numbers needs a confirmation."""
    return (count_before - count_after) * 100 > count_before * REPLACE_SHRINK_LIMIT_PERCENT


def replace_shrink_percent(*, count_before: int, count_after: int) -> int:
    return (count_before - count_after) * 100 // count_before if count_before > count_after else 0


def _with_lock_retries(pg: psycopg.Connection, step: Callable[[], None]) -> None:
    """Run `step` in a savepoint; if its locks are not granted in SWAP_LOCK_TIMEOUT, roll back only the
    step (the loaded data stays) and try again a little later."""
    pg.execute(f"SET LOCAL lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            with pg.transaction():
                step()
            return
        except psycopg.errors.LockNotAvailable:
            if attempt == SWAP_ATTEMPTS:
                raise DncImportBusy(
                    f"The DNC entries stayed locked by other sessions through {SWAP_ATTEMPTS} attempts."
                ) from None
            time.sleep(SWAP_RETRY_PAUSE_SECONDS)


def replace_list(pg: psycopg.Connection, run: ImportRun) -> None:
    """Load the file into a new table beside the live partition, index it, and swap it in.

    Everything happens in one transaction on the import's connection, so a crash anywhere rolls it all
    back and leaves the old list; the exclusive locks come only in the last step and last milliseconds.
    COPY FREEZE (allowed because the table is new in this transaction) spares PostgreSQL rewriting every
    page later; the CHECK constraint lets ATTACH skip its validation scan.
    """
    stage = stage_name(run.list_id)
    pg.execute(f"DROP TABLE IF EXISTS {stage}")  # left by a run that died between statements in the past
    with pg.transaction():
        pg.execute(
            f"CREATE TABLE {stage} ({ENTRY_COLUMNS}, "
            f"CONSTRAINT {partition_name(run.list_id)}_list CHECK (dnc_list_id = {run.list_id}))"
        )
        run.copy_into(pg, stage, freeze=True)
        if not run.counts.numbers_loaded:
            raise DncFileInvalid("No valid number in the file: refusing to replace the list with an empty one.")
        run.beat()  # the index and the swap save no progress; they must not look like a dead worker
        pg.execute(f"CREATE INDEX {stage}_phone ON {stage} (phone)")
        pg.execute(f"ANALYZE {stage}")
        run.beat()
        _with_lock_retries(pg, lambda: _swap_partition(pg, run, stage))


def _swap_partition(pg: psycopg.Connection, run: ImportRun, stage: str) -> None:
    """Swap the loaded table in, unless it would remove too much of the list unconfirmed (DncReplaceShrinks,
    raised before anything changed: the whole transaction rolls back and the old list stays)."""
    partition = partition_name(run.list_id)
    with pg.cursor() as cursor:
        cursor.execute(
            # B608: the table name comes from the model.
            f"SELECT entry_count FROM {DncList._meta.db_table} WHERE id = %s FOR UPDATE", [run.list_id]  # nosec B608
        )
        before = run.count_before = cursor.fetchone()[0]
        after = run.count_after = run.counts.numbers_loaded
        if not run.record.replace_confirmed and replace_removes_too_much(count_before=before, count_after=after):
            raise DncReplaceShrinks(
                f"Refused: this file would leave the list with {after:,} numbers instead of {before:,}, removing "
                f"{replace_shrink_percent(count_before=before, count_after=after)}% of it (more than "
                f"{REPLACE_SHRINK_LIMIT_PERCENT}% needs a confirmation). Nothing was changed."
            )
        # Dropping a partition detaches it; doing it first frees its name and its index's name.
        cursor.execute(f"DROP TABLE IF EXISTS {partition}")
        cursor.execute(f"ALTER TABLE {stage} RENAME TO {partition}")
        cursor.execute(f"ALTER INDEX {stage}_phone RENAME TO {partition}_phone")
        cursor.execute(f"ALTER TABLE {ENTRIES_TABLE} ATTACH PARTITION {partition} FOR VALUES IN ({run.list_id})")
        run.finish(cursor, entry_count=run.counts.numbers_loaded)


def apply_change_list(pg: psycopg.Connection, run: ImportRun) -> None:
    """Load a change file into a temporary table, then add or delete its numbers in the same transaction
    as the list's version bump."""
    with pg.transaction():
        pg.execute(f"CREATE TEMP TABLE dnc_changes ({ENTRY_COLUMNS}) ON COMMIT DROP")
        run.copy_into(pg, "dnc_changes", freeze=False)
        pg.execute("ANALYZE dnc_changes")  # temporary tables get no autovacuum statistics
        _with_lock_retries(pg, lambda: _apply_changes(pg, run))


def _apply_changes(pg: psycopg.Connection, run: ImportRun) -> None:
    partition = partition_name(run.list_id)
    with pg.cursor() as cursor:
        # B608: the table name comes from the model.
        cursor.execute(f"SELECT 1 FROM {DncList._meta.db_table} WHERE id = %s FOR UPDATE", [run.list_id])  # nosec B608
        ensure_dnc_partition(run.list_id, cursor=cursor)
        if run.record.mode == DncImport.Mode.ADD:
            cursor.execute(
                # B608: the partition is named from an integer id.
                f"INSERT INTO {partition} (dnc_list_id, phone) SELECT DISTINCT dnc_list_id, phone FROM dnc_changes c "  # nosec B608
                f"WHERE NOT EXISTS (SELECT 1 FROM {partition} e WHERE e.phone = c.phone)"
            )
            delta = cursor.rowcount
        else:
            # B608: the partition is named from an integer id.
            cursor.execute(f"DELETE FROM {partition} e USING dnc_changes c WHERE e.phone = c.phone")  # nosec B608
            delta = -cursor.rowcount
        run.finish(cursor, delta=delta)

