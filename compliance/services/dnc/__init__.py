"""Do-Not-Call lists: streaming imports of registry files, small manual changes, one partition per list.

Lists come as files: the US national registry (FTC full and change files), state lists, the company's
internal list and the UK TPS/CTPS. Every number is stored as E.164 in `compliance_dncentry`, a table
partitioned by list, so a full import builds a complete new table beside the live partition and swaps it
in, all in one transaction whose exclusive locks come only in its last milliseconds: lookups never see a
half-loaded list, the load holds up no other list, and a crash anywhere leaves the old list.

An import runs the same way from `manage.py import_dnc` and from `import_dnc_file_task`: it streams the
file (memory stays flat for any size), normalises each line, and COPYs the good ones on a connection of
its own, while progress is written through Django's connection, in autocommit, so other sessions (the
admin's progress bar) see it as it happens. Rejected lines never stop the good ones; they are reported
with their line numbers, in the DncImport row (the first 10,000) and in full in a CSV file. Blank lines
are skipped silently: they are not numbers, and not mistakes worth a report line either.

Row counts: `entry_count` counts rows, not distinct numbers. A file that repeats a number stores it twice
(harmless for lookups; registry files do not repeat numbers) and counting distinct values of 10M rows
would add seconds to every import.

The package re-exports the services other code uses; each module holds one subdomain: `normalize` (one
line to E.164), `formats` (file to COPY rows), `lists` (lists, partitions, manual changes), `imports`
(DncImport runs), `swap` (the transaction that applies a loaded file, and its refusal of a full replace that
would remove more than 20% of a list unconfirmed), `lifecycle` (an upload's full list previewed before it is
confirmed; the sweep that fails imports whose worker died) and `files` (uploaded files, deleted once their
import ends). Tunables such as
READ_BLOCK_BYTES or PROGRESS_SECONDS are read from the module that defines them, so that is the module to
patch; they are deliberately not re-exported here, where a patch would change nothing.
"""

from __future__ import annotations

from compliance.services.dnc.errors import (
    DncFileInvalid,
    DncImportBusy,
    DncImportNotAwaiting,
    DncListUnknown,
    DncNumberInvalid,
    DncReplaceShrinks,
)
from compliance.services.dnc.files import dnc_upload_discard, upload_dir
from compliance.services.dnc.formats import (
    FILE_FORMATS,
    LINE_FORMATS,
    REPORT_CONTENT_CHARS,
    ImportCounts,
    LineFormat,
    Rejection,
    iter_copy_rows,
)
from compliance.services.dnc.imports import (
    DncFileCheck,
    ProgressCallback,
    dnc_file_validate,
    dnc_import_create,
    dnc_import_run,
    rejected_report_path,
)
from compliance.services.dnc.lifecycle import dnc_import_preview, dnc_import_process, dnc_imports_fail_stalled
from compliance.services.dnc.lists import (
    dnc_add_numbers,
    dnc_default_format,
    dnc_list_get_or_create,
    dnc_list_spec,
    dnc_number_listed,
    dnc_remove_numbers,
    ensure_dnc_partition,
)
from compliance.services.dnc.normalize import (
    RejectedLine,
    normalize_csv_value,
    normalize_e164,
    normalize_ftc,
    normalize_tps,
)
from compliance.services.dnc.swap import replace_removes_too_much, replace_shrink_percent

__all__ = [
    "FILE_FORMATS",
    "LINE_FORMATS",
    "REPORT_CONTENT_CHARS",
    "DncFileCheck",
    "DncFileInvalid",
    "DncImportBusy",
    "DncImportNotAwaiting",
    "DncListUnknown",
    "DncNumberInvalid",
    "DncReplaceShrinks",
    "ImportCounts",
    "ProgressCallback",
    "RejectedLine",
    "Rejection",
    "LineFormat",
    "dnc_add_numbers",
    "dnc_default_format",
    "dnc_file_validate",
    "dnc_import_create",
    "dnc_import_preview",
    "dnc_import_process",
    "dnc_import_run",
    "dnc_imports_fail_stalled",
    "dnc_list_get_or_create",
    "dnc_list_spec",
    "dnc_number_listed",
    "dnc_remove_numbers",
    "dnc_upload_discard",
    "ensure_dnc_partition",
    "iter_copy_rows",
    "normalize_csv_value",
    "normalize_e164",
    "normalize_ftc",
    "normalize_tps",
    "rejected_report_path",
    "replace_removes_too_much",
    "replace_shrink_percent",
    "upload_dir",
]
