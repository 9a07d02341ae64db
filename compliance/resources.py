"""django-import-export resource for small DNC lists: preview with per-row errors, then apply.

Big files go through the streaming importer (`import_dnc`, the upload page); this is for
the few dozen numbers an admin pastes or uploads as CSV/XLSX, where a row-by-row preview
is worth more than speed. Rows are checked one by one; the valid ones are added in one
batch per list when the import is confirmed.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from import_export import fields, resources

from compliance.models import DncEntry, DncList
from compliance.services.dnc import (
    DncListUnknown,
    RejectedLine,
    dnc_add_numbers,
    dnc_list_get_or_create,
    dnc_number_listed,
    normalize_csv_value,
)


class DncEntryResource(resources.ModelResource):
    dnc_list = fields.Field(attribute="dnc_list_id", column_name="list")
    phone = fields.Field(attribute="phone", column_name="phone")

    class Meta:
        model = DncEntry
        fields = ("dnc_list", "phone")
        import_id_fields = ("dnc_list", "phone")
        skip_unchanged = True
        report_skipped = True
        use_transactions = True
        store_instance = True
        store_row_values = True

    def __init__(self, *, default_list: str = "internal", source: str = "admin import"):
        super().__init__()
        self.default_list = default_list
        self.source = source
        self._additions: dict[int, list[str]] = defaultdict(list)

    def before_import(self, dataset, **kwargs):
        """A file without a `list` column goes to the default list."""
        if "list" not in (dataset.headers or []):
            dataset.append_col([""] * len(dataset), header="list")

    def before_import_row(self, row, **kwargs):
        """Normalise the row (list name → id, phone → E.164) or refuse it with a clear message."""
        errors = {}
        try:
            dnc_list, _ = dnc_list_get_or_create(name=(row.get("list") or self.default_list), create=False)
        except DncListUnknown as exc:
            errors["list"] = exc.message
        else:
            if dnc_list.pk is None:
                errors["list"] = f"The list {dnc_list.name!r} does not exist yet; import a file into it first."
            row["list"] = dnc_list.pk
        try:
            row["phone"] = normalize_csv_value(str(row.get("phone") or ""), country=str(row.get("country") or ""))
        except RejectedLine as exc:
            errors["phone"] = f"{row.get('phone')!r}: {exc.reason}"
        if errors:
            raise ValidationError(errors)

    def get_instance(self, instance_loader, row):
        if dnc_number_listed(row["list"], row["phone"]):
            return DncEntry(dnc_list_id=row["list"], phone=row["phone"])
        return None

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Numbers already on the list are shown as skipped, not added twice."""
        return not import_validation_errors and dnc_number_listed(instance.dnc_list_id, instance.phone)

    def save_instance(self, instance, is_create, row, **kwargs):
        if not kwargs.get("dry_run"):
            self._additions[instance.dnc_list_id].append(instance.phone)

    def after_import(self, dataset, result, **kwargs):
        if kwargs.get("dry_run"):
            return
        for list_id, phones in self._additions.items():
            dnc_add_numbers(dnc_list=DncList.objects.get(pk=list_id), phones=phones, source=self.source)
