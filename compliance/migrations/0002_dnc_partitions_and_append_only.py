"""DNC entries live in a table partitioned by list; audit tables refuse UPDATE and DELETE.

Each DNC list gets its own partition (created on first use), so a full import
can load a fresh table and swap it in atomically without touching other lists.
"""

from django.db import migrations

APPEND_ONLY_TABLES = ["compliance_contactdecision", "compliance_optout", "compliance_consentrecord"]

CREATE_ENTRIES = """
CREATE TABLE compliance_dncentry (
    dnc_list_id bigint NOT NULL,
    phone varchar(16) NOT NULL
) PARTITION BY LIST (dnc_list_id);
"""

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION compliance_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION compliance_refuse_change();"
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE_ENTRIES, "DROP TABLE compliance_dncentry;"),
        migrations.RunSQL(APPEND_ONLY_FUNCTION, "DROP FUNCTION compliance_refuse_change() CASCADE;"),
        *[
            migrations.RunSQL(trigger_sql(table), f"DROP TRIGGER {table}_append_only ON {table};")
            for table in APPEND_ONLY_TABLES
        ],
    ]
