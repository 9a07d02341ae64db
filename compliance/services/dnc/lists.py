"""Lists and their partitions, and small changes to a list's numbers made by people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from compliance.models import DncImport, DncList
from compliance.services.dnc.errors import DncListUnknown, DncNumberInvalid
from compliance.services.dnc.normalize import RejectedLine, normalize_e164

ENTRIES_TABLE = "compliance_dncentry"

# US states, DC and the territories: the `state-XX` lists the import creates on first use.
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR", "VI", "GU",
    "AS", "MP",
})
_FIXED_LISTS = {
    "national": (DncList.Kind.NATIONAL, ""),
    "internal": (DncList.Kind.INTERNAL, ""),
    "uk-tps": (DncList.Kind.UK_TPS, ""),
    "uk-ctps": (DncList.Kind.UK_CTPS, ""),
}


def partition_name(list_id: int) -> str:
    return f"{ENTRIES_TABLE}_p{int(list_id)}"


def stage_name(list_id: int) -> str:
    return f"{ENTRIES_TABLE}_stage_{int(list_id)}"


def dnc_list_spec(name: str) -> tuple[str, str] | None:
    """(kind, region) for a list name the product knows, e.g. `state-TX` → (state, TX); None otherwise."""
    lowered = name.strip().lower()
    if lowered in _FIXED_LISTS:
        return _FIXED_LISTS[lowered]
    prefix, _, region = lowered.partition("-")
    if prefix == "state" and region.upper() in US_STATES:
        return DncList.Kind.STATE, region.upper()
    return None


def dnc_list_get_or_create(*, name: str, create: bool = True) -> tuple[DncList, bool]:
    """The list called `name` (any case) and whether it is new: a known name (national, internal, state-XX,
    uk-tps, uk-ctps) gets a list on first use; with `create=False` (a dry run) it stays unsaved.

    Raises DncListUnknown, naming the existing lists, for any other name.
    """
    found = DncList.objects.filter(name__iexact=name.strip()).first()
    if found:
        return found, False
    spec = dnc_list_spec(name)
    if spec is None:
        existing = ", ".join(DncList.objects.order_by("name").values_list("name", flat=True)) or "none yet"
        raise DncListUnknown(
            f"No DNC list called {name!r} (existing: {existing}). New lists are created automatically for: "
            "national, internal, state-XX (a US state code), uk-tps, uk-ctps."
        )
    dnc_list = DncList(name=name.strip().lower(), kind=spec[0], region=spec[1])
    dnc_list.full_clean()
    if not create:
        return dnc_list, True
    return DncList.objects.get_or_create(name=dnc_list.name, defaults={"kind": spec[0], "region": spec[1]})


def dnc_default_format(*, list_kind: str) -> str:
    """The format a list's files usually come in: the UK lists in national format, the others as FTC files."""
    return "tps" if list_kind in (DncList.Kind.UK_TPS, DncList.Kind.UK_CTPS) else "ftc"


def ensure_dnc_partition(list_id: int, *, cursor: Any = None) -> None:
    """Create the list's partition and its phone index unless it exists.

    Checked first, because creating a partition locks the whole entries table even when it exists.
    Uses Django's connection unless given a cursor (a psycopg one in the middle of an import).
    """
    partition = partition_name(list_id)
    if cursor is None:
        with connection.cursor() as django_cursor:
            ensure_dnc_partition(list_id, cursor=django_cursor)
        return
    cursor.execute("SELECT to_regclass(%s)", [partition])
    if cursor.fetchone()[0] is None:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {partition} PARTITION OF {ENTRIES_TABLE} FOR VALUES IN ({int(list_id)})"
        )
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {partition}_phone ON {partition} (phone)")


def dnc_number_listed(list_id: int, phone: str) -> bool:
    """Whether the list holds `phone` (E.164); reads only that list's partition."""
    with connection.cursor() as cursor:
        cursor.execute(
            # B608: a constant table name; values are parameters.
            f"SELECT EXISTS (SELECT 1 FROM {ENTRIES_TABLE} WHERE dnc_list_id = %s AND phone = %s)", [list_id, phone]  # nosec B608
        )
        return cursor.fetchone()[0]


# Small changes by people (an agent adds a number the customer asked us never to call again).


def _valid_e164(phones: Iterable[str]) -> list[str]:
    numbers = []
    for phone in phones:
        try:
            numbers.append(normalize_e164(phone))
        except RejectedLine as exc:
            raise DncNumberInvalid(f"{phone!r} is not an E.164 phone number: {exc.reason}.") from None
    return sorted(set(numbers))


_ADD_SQL = (
    "INSERT INTO {table} (dnc_list_id, phone) SELECT %s, phone FROM unnest(%s::varchar[]) AS added (phone) "
    "WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.phone = added.phone)"
)
_REMOVE_SQL = "DELETE FROM {table} WHERE phone = ANY(%s::varchar[])"


@transaction.atomic
def _change_numbers(*, dnc_list: DncList, phones: Iterable[str], source: str, mode: str) -> int:
    numbers = _valid_e164(phones)
    locked = DncList.objects.select_for_update().get(pk=dnc_list.pk)  # one writer per list, imports included
    ensure_dnc_partition(locked.pk)
    sql, params = (_ADD_SQL, [locked.pk, numbers]) if mode == DncImport.Mode.ADD else (_REMOVE_SQL, [numbers])
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=partition_name(locked.pk)), params)
        changed = cursor.rowcount
    delta = changed if mode == DncImport.Mode.ADD else -changed
    DncList.objects.filter(pk=locked.pk).update(
        version=F("version") + 1, entry_count=Greatest(F("entry_count") + delta, 0)
    )
    locked.refresh_from_db()
    now = timezone.now()
    DncImport.objects.create(
        dnc_list=locked, mode=mode, file_format="manual", file_name=source[:255], status=DncImport.Status.DONE,
        lines_read=len(numbers), numbers_loaded=changed, version_after=locked.version, started_at=now, finished_at=now,
    )
    dnc_list.refresh_from_db()
    return changed


def dnc_add_numbers(*, dnc_list: DncList, phones: Iterable[str], source: str) -> int:
    """Add E.164 numbers to a list (for a handful, not for files) and return how many were new.

    The list's version goes up, and a DncImport row (format "manual", file name = `source`, e.g.
    "agent maya: customer request") records who changed it. Raises DncNumberInvalid for a bad number.
    A full replace of the same list makes its file the whole list: numbers added while it loads are gone
    after its swap (the internal list is rarely replaced from a file; add them again, or use --delta add).
    """
    return _change_numbers(dnc_list=dnc_list, phones=phones, source=source, mode=DncImport.Mode.ADD)


def dnc_remove_numbers(*, dnc_list: DncList, phones: Iterable[str], source: str) -> int:
    """Remove E.164 numbers from a list and return how many rows went; recorded like dnc_add_numbers."""
    return _change_numbers(dnc_list=dnc_list, phones=phones, source=source, mode=DncImport.Mode.REMOVE)

