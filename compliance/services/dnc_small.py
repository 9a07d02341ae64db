"""Small DNC additions through django-import-export: a dry run to preview, then the real run."""

from __future__ import annotations

import csv
import io

import tablib

from compliance.resources import DncEntryResource


def numbers_dataset(text: str) -> tablib.Dataset:
    """CSV with a `phone` header, or bare numbers one per line, as a dataset (row 1 = first number)."""
    lines = [line for line in text.splitlines() if line.strip()]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "phone" in header:
        dataset = tablib.Dataset(headers=header)
        for row in rows[1:]:
            dataset.append((row + [""] * len(header))[: len(header)])
        return dataset
    dataset = tablib.Dataset(headers=["phone"])
    for line in lines:
        dataset.append([line.strip()])
    return dataset


def dnc_numbers_import(*, text: str, list_name: str, user, dry_run: bool):
    """Run the numbers through the resource; returns import-export's Result (rows, totals, errors)."""
    resource = DncEntryResource(default_list=list_name, source=f"admin import by {user.get_username()}")
    return resource.import_data(numbers_dataset(text), dry_run=dry_run, raise_errors=False)
