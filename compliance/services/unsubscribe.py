"""Email unsubscribe links: signed, never expiring, and acted on only by POST."""

from __future__ import annotations

from django.core import signing

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


def unsubscribe_confirm(*, token: str, remote_addr: str = "") -> OptOut | None:
    from recovery.models import Store

    target = unsubscribe_target(token)
    if target is None:
        return None
    store = Store.objects.filter(pk=target.get("store")).first()
    return optout_record(email=target["email"], scope=OptOutScope.EMAIL, source=OptOut.Source.EMAIL_LINK,
                         store=store, evidence=f"Unsubscribe link confirmed from {remote_addr or 'unknown address'}")
