"""The comparison: the same numbers loaded through django-import-export, the usual way into a Django model.

DncEntry is unmanaged and partitioned, with a composite primary key, which import-export does not handle,
so the rows go into a throwaway model whose table this script creates and drops. Two configurations:
the default one (each row looked up by its natural key, then saved) and the fastest one import-export
offers (bulk_create in batches, no lookups, no diffs). Both normalise each number with normalize_ftc,
as import_dnc does. Needs Django set up (bench/common/database.py).
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from django.db import connection, models

TABLE = "bench_dnc_import_export"


class BenchDncRow(models.Model):
    dnc_list_id = models.BigIntegerField()
    phone = models.CharField(max_length=16)

    class Meta:
        # import-export looks the model's app up; "bench" is not an installed app. The model exists only in
        # this process (after migrate has run), so no migration ever sees it.
        app_label = "compliance"
        db_table = TABLE
        indexes = [models.Index(fields=["phone"], name=f"{TABLE}_phone")]

    def __str__(self) -> str:
        return self.phone


def _resources() -> dict[str, type]:
    from import_export import resources

    from compliance.services.dnc import normalize_ftc

    class RowResource(resources.ModelResource):
        def before_import_row(self, row, **kwargs) -> None:
            row["phone"] = normalize_ftc(row["phone"])

        class Meta:
            model = BenchDncRow
            fields = ("dnc_list_id", "phone")
            import_id_fields = ("dnc_list_id", "phone")

    class BulkRowResource(RowResource):
        class Meta(RowResource.Meta):
            use_bulk = True
            batch_size = 5000
            skip_diff = True
            force_init_instance = True

    return {"default": RowResource, "bulk": BulkRowResource}


def _dataset(path: Path, rows: int):
    import tablib

    dataset = tablib.Dataset(headers=["dnc_list_id", "phone"])
    with path.open() as stream:
        for line in itertools.islice(stream, rows):
            dataset.append((1, line.strip()))
    return dataset


def measure(path: Path, rows: int) -> dict[str, dict]:
    """Seconds and seconds per row for each configuration, importing the first `rows` lines of `path`."""
    dataset = _dataset(path, rows)
    results = {}
    with connection.schema_editor() as editor:
        editor.create_model(BenchDncRow)
    try:
        for name, resource_class in _resources().items():
            start = time.perf_counter()
            result = resource_class().import_data(dataset, raise_errors=True)
            seconds = time.perf_counter() - start
            stored = BenchDncRow.objects.count()
            results[name] = {"rows": rows, "stored": stored, "errors": result.has_errors(), "seconds": seconds,
                             "us_per_row": seconds / rows * 1e6}
            BenchDncRow.objects.all().delete()
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(BenchDncRow)
    return results
