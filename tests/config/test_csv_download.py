"""The one CSV writer: formula-like text is neutralised (OWASP), numbers pass unchanged, and every download uses it."""

from __future__ import annotations

import ast
import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import tablib
from import_export.formats.base_formats import CSV

from core.csv_download import csv_response, csv_writer, safe_cell

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("agents", "compliance", "config", "core", "dashboards", "demo", "integrations", "recovery")


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","y")', "+cmd", "-2+3", "@SUM(1)", "\t=1", "\r=1", "=",
                                  "-", "+"])
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3", "+1.5", "-12%", "-1,234.50", "1e-3", "Free returns", "a=b", "", " =1"])
def test_plain_text_and_signed_numbers_pass_unchanged(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [-3, 0, 2.5, -2.5, Decimal("-10.25"), Decimal("3")])
def test_numbers_pass_unchanged(value):
    assert safe_cell(value) is value


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_the_writer_and_the_response_neutralise_every_cell():
    # given
    buffer = io.StringIO()
    response, writer = csv_response("report.csv")

    # when
    csv_writer(buffer).writerows([["=1+1", -4, None, "ok"]])
    writer.writerow(["@me", Decimal("-1.50")])

    # then
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["'=1+1", "-4", "", "ok"]]
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [["'@me", "-1.50"]]


def _writer_calls(path: Path) -> list[str]:
    """`csv.writer(...)` / `csv.DictWriter(...)` calls in one module (by the csv module's name or imported names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "csv":
            found += [f"from csv import {alias.name}" for alias in node.names if alias.name in ("writer", "DictWriter")]
        if (isinstance(node, ast.Attribute) and node.attr in ("writer", "DictWriter")
                and isinstance(node.value, ast.Name) and node.value.id == "csv"):
            found.append(f"csv.{node.attr}")
    return [f"{path.relative_to(ROOT)}:{call}" for call in found]


def test_no_product_module_writes_csv_but_through_the_one_writer():
    modules = [path for package in PRODUCT_PACKAGES for path in (ROOT / package).rglob("*.py")
               if path != ROOT / "core" / "csv_download.py"]

    offenders = [call for path in modules for call in _writer_calls(path)]

    assert len(modules) > 50
    assert offenders == [], "write CSV with core.csv_download (csv_writer / csv_response)"


def test_django_import_export_escapes_formulae_on_export():
    dataset = tablib.Dataset(('=HYPERLINK("http://x","y")',), ("2125550101",), headers=["phone"])

    exported = CSV().export_data(dataset)

    assert "=HYPERLINK" not in exported and "2125550101" in exported
