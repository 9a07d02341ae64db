"""Seed the calling-hours rules (federal, state, UK) from compliance/data/calling_rules.json.

Rows are matched on (country, region) with update_or_create: a shipped row is
overwritten, including any admin edit to it, only when this migration runs,
i.e. on a new database or after migrating back to 0002 and forward again. Rows
admins add for other regions are never touched, and migrating backwards keeps
every row. To ship a rule change to databases that already ran this, edit the
JSON and add a new data migration that calls `seed_calling_rules` again.
"""

import json
from datetime import time
from pathlib import Path

from django.db import migrations

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "calling_rules.json"
TIME_FIELDS = ("start", "end", "sunday_start", "sunday_end")
FIELDS = {
    "country", "region", *TIME_FIELDS, "no_calls_on_sunday", "no_calls_on_holidays", "holidays",
    "max_calls_per_24h", "source", "notes",
}


def load_rules(path=RULES_FILE):
    """The rules in the JSON file, with times parsed; unknown or missing keys are an error."""
    rules = json.loads(path.read_text(encoding="utf-8"))
    for rule in rules:
        if set(rule) != FIELDS:
            raise ValueError(f"calling rule {rule.get('country')}-{rule.get('region')}: keys differ from {FIELDS}")
        for name in TIME_FIELDS:
            rule[name] = time.fromisoformat(rule[name]) if rule[name] else None
    return rules


def seed_calling_rules(apps, schema_editor):
    CallingRule = apps.get_model("compliance", "CallingRule")
    rules = CallingRule.objects.using(schema_editor.connection.alias)
    for values in load_rules():
        key = {"country": values.pop("country"), "region": values.pop("region")}
        rules.update_or_create(**key, defaults=values)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0002_dnc_partitions_and_append_only")]

    operations = [migrations.RunPython(seed_calling_rules, migrations.RunPython.noop)]
