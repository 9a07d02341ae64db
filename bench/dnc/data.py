"""Registry files for the DNC benchmark: N distinct valid US numbers, one 10-digit number per line.

Line i holds number(i), a bijection of 0, 1, 2, ... onto the NANP numbers the FTC format allows (area
code 200-999, exchange 2xx-9xx), so the numbers are distinct by construction, the same on every run,
and in no useful order (a sorted file would flatter every index build). number(N), number(N + 1), ...
are therefore guaranteed absent from a file of N: the gate benchmark uses them as unlisted numbers.

Files live under var/bench/ (git-ignored) and are reused when their size and SHA-256 match the record
written beside them; anything else is regenerated.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

SPACE = 800 * 8_000_000  # area codes 200-999 times numbers 200-0000..999-9999
STEP = 2_654_435_761  # a prime, so coprime with SPACE: i -> (i * STEP + OFFSET) % SPACE is a bijection
OFFSET = 12_345
WRITE_BATCH = 1_000_000


def number(index: int) -> str:
    """The ten digits on line `index` (from 0) of every benchmark file."""
    x = (index * STEP + OFFSET) % SPACE
    return f"{200 + x // 8_000_000}{2_000_000 + x % 8_000_000}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write(path: Path, count: int) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("wb") as stream:
        for start in range(0, count, WRITE_BATCH):
            batch = range(start, min(count, start + WRITE_BATCH))
            stream.write("".join(f"{number(i)}\n" for i in batch).encode("ascii"))
    partial.replace(path)  # a run interrupted while writing never leaves a file that looks complete


def ensure_file(directory: Path, count: int) -> tuple[Path, bool]:
    """The file of `count` numbers, and whether it was reused rather than written now."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"dnc-ftc-{count}.txt"
    record_path = path.with_suffix(".json")
    if path.exists() and record_path.exists():
        record = json.loads(record_path.read_text())
        same_size = record.get("count") == count and record.get("bytes") == path.stat().st_size
        if same_size and record.get("sha256") == _sha256(path):
            return path, True
    _write(path, count)
    record = {"count": count, "bytes": path.stat().st_size, "sha256": _sha256(path), "step": STEP, "offset": OFFSET}
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return path, False
