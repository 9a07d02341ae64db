"""Append-only tables accept one narrow UPDATE: a privacy request blanking a row's personal columns.

The decision log, opt-outs and consent records still refuse every DELETE and every other UPDATE. An UPDATE
passes only when the transaction names an existing privacy request (`SET LOCAL compliance.privacy_request`,
which `compliance.services.erasure` does), every column but the table's personal ones is unchanged, and each
personal column is unchanged or set to '' (the erased value). The protection is narrowed, not disabled:
an UPDATE by anyone else, or of any other column, is refused as before.
"""

from django.db import migrations

# The personal columns of each append-only table, given to the trigger as its arguments.
PERSONAL_COLUMNS = {
    "compliance_contactdecision": ["phone", "email"],
    "compliance_optout": ["phone", "email", "evidence"],
    "compliance_consentrecord": ["phone", "email", "evidence"],
}

ERASURE_FUNCTION = """
CREATE OR REPLACE FUNCTION compliance_refuse_change_except_erasure() RETURNS trigger AS $$
DECLARE
    request text := current_setting('compliance.privacy_request', true);
    personal text[] := TG_ARGV;
    col text;
BEGIN
    IF TG_OP = 'UPDATE' AND request ~ '^[0-9]+$'
       AND EXISTS (SELECT FROM compliance_privacyrequest WHERE id = request::bigint)
       AND (to_jsonb(NEW) - personal) = (to_jsonb(OLD) - personal) THEN
        FOREACH col IN ARRAY personal LOOP
            IF (to_jsonb(NEW) ->> col) IS DISTINCT FROM (to_jsonb(OLD) ->> col)
               AND (to_jsonb(NEW) ->> col) <> '' THEN
                RAISE EXCEPTION '% is append-only: % may only be erased', TG_TABLE_NAME, col;
            END IF;
        END LOOP;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def _replace(table: str, function: str, arguments: list[str]) -> str:
    args = ", ".join(f"'{column}'" for column in arguments)
    return (
        f"DROP TRIGGER {table}_append_only ON {table}; "
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}({args});"
    )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0009_privacy_requests_and_suppressions")]

    operations = [
        migrations.RunSQL(ERASURE_FUNCTION, "DROP FUNCTION compliance_refuse_change_except_erasure();"),
        *[
            migrations.RunSQL(
                _replace(table, "compliance_refuse_change_except_erasure", columns),
                _replace(table, "compliance_refuse_change", []),
            )
            for table, columns in PERSONAL_COLUMNS.items()
        ],
    ]
