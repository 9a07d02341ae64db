"""Email unsubscribe links: signed, never expiring, and acted on only by POST."""

from __future__ import annotations

from django.core import signing
from django.db import connection, transaction

from compliance.models import OptOut
from compliance.models.choices import OptOutScope
from compliance.services.optouts import optout_record

SALT = "compliance.unsubscribe"


def unsubscribe_token(*, email: str, store_id: int | None) -> str:
    return signing.dumps({"email": email.lower(), "store": store_id}, salt=SALT, compress=True)


def unsubscribe_target(token: str) -> dict | None:
    """The email and store a link was made for, or None for a forged or damaged link."""
    try:
        return signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None


@transaction.atomic
def unsubscribe_confirm(*, token: str, remote_addr: str = "") -> OptOut | None:
    """Opt the link's address out of emails and return the opt-out in force (None for a forged link).

    Idempotent: while the address's newest email row is an opt-out, a second POST of the link (a double click,
    a resubmitted form, a replay) returns that row and records nothing. After an opt back in, the same link
    opts out again. A transaction lock on the address makes two POSTs at once record one row.
    """
    target = unsubscribe_target(token)
    if target is None:
        return None
    email = target["email"].lower()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"compliance.optout.email:{email}"])
    newest = OptOut.objects.filter(email=email, scope=OptOutScope.EMAIL).order_by("-at", "-pk").first()
    if newest is not None and newest.action == OptOut.Action.OPT_OUT:
        return newest
    # The store as the opt-out's own foreign key names it (recovery's Store, which compliance does not import): a
    # link made for a store since deleted records an opt-out of no store.
    store = OptOut.store.field.related_model.objects.filter(pk=target.get("store")).first()
    return optout_record(email=target["email"], scope=OptOutScope.EMAIL, source=OptOut.Source.EMAIL_LINK,
                         store=store, evidence=f"Unsubscribe link confirmed from {remote_addr or 'unknown address'}")
