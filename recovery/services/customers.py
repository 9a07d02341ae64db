"""Customers: matched per store by external id, then email, then phone."""

from __future__ import annotations

from compliance.services.consent import consent_record
from core.phones import phone_to_e164
from integrations.data import CustomerData
from recovery.models import Customer, Store

# The checkout's customer: by external id; else, among customers without one when the checkout has one, the
# oldest by email in any case (the customer_email_upper index), else the oldest by phone. Empty values match
# nothing; the driver binds them client-side, so the planner folds those branches away.
_FIND_CUSTOMER_SQL = """
SELECT * FROM recovery_customer
WHERE store_id = %(store)s
  AND ((%(external_id)s <> '' AND external_id = %(external_id)s)
       OR ((%(external_id)s = '' OR external_id = '')
           AND ((%(email)s <> '' AND upper(email::text) = upper(%(email)s))
                OR (%(phone)s <> '' AND phone = %(phone)s))))
ORDER BY CASE WHEN %(external_id)s <> '' AND external_id = %(external_id)s THEN 0
              WHEN %(email)s <> '' AND upper(email::text) = upper(%(email)s) THEN 1 ELSE 2 END, id
LIMIT 1
"""


def _find_customer(store: Store, data: CustomerData, phone: str | None) -> Customer | None:
    """The store's customer a checkout names, in one raw query: it runs for every delivery applied, where the
    ORM's three lookups (then one ranked query) cost a fifth of applying it."""
    if not (data.external_id or data.email or phone):
        return None
    params = {"store": store.pk, "external_id": data.external_id, "email": data.email, "phone": phone or ""}
    return next(iter(Customer.objects.raw(_FIND_CUSTOMER_SQL, params)), None)


def _apply_consent(customer: Customer, data: CustomerData) -> list[str]:
    """Copy the platform's marketing consent onto the customer; returns the channels that changed."""
    changed = []
    if data.sms_marketing_phone_raw:
        sms_phone = phone_to_e164(data.sms_marketing_phone_raw, region=data.country or customer.country)
        if sms_phone and sms_phone != str(customer.sms_marketing_phone or ""):
            customer.sms_marketing_phone = sms_phone
            changed.append("sms")
    if data.accepts_email_marketing is not None and data.accepts_email_marketing != customer.accepts_email_marketing:
        customer.accepts_email_marketing = data.accepts_email_marketing
        customer.email_consent_source = data.consent_source
        customer.email_consent_at = data.consent_at
        changed.append("email")
    if data.accepts_sms_marketing is not None and data.accepts_sms_marketing != customer.accepts_sms_marketing:
        customer.accepts_sms_marketing = data.accepts_sms_marketing
        customer.sms_consent_source = data.consent_source
        customer.sms_consent_at = data.consent_at
        changed.append("sms")
    return sorted(set(changed))


def _record_consent(customer: Customer, channels: list[str], data: CustomerData) -> None:
    """Keep the consent the store collected as consent records (5-year retention)."""
    for channel in channels:
        if channel == "email" and customer.email and customer.accepts_email_marketing is not None:
            consent_record(
                store=customer.store, customer=customer, channel="email", email=customer.email,
                granted=customer.accepts_email_marketing, source=data.consent_source, at=data.consent_at,
                evidence=f"accepts email marketing = {str(customer.accepts_email_marketing).lower()}",
            )
        sms_phone = str(customer.sms_marketing_phone or customer.phone or "")
        if channel == "sms" and sms_phone and customer.accepts_sms_marketing is not None:
            consent_record(
                store=customer.store, customer=customer, channel="sms", phone=sms_phone,
                granted=customer.accepts_sms_marketing, source=data.consent_source, at=data.consent_at,
                evidence=f"accepts SMS marketing = {str(customer.accepts_sms_marketing).lower()} for {sms_phone}",
            )


def customer_upsert(*, store: Store, data: CustomerData) -> Customer | None:
    """Create or update the customer of a checkout; None when it names nobody.

    Known values are never blanked by a later payload that omits them.
    Call inside the cart's transaction.
    """
    region = data.country
    phone = phone_to_e164(data.phone_raw, region=region)
    if not (data.external_id or data.email or data.phone_raw):
        return None
    customer = _find_customer(store, data, phone) or Customer(store=store)
    for field in ("external_id", "first_name", "last_name", "email", "country", "region", "language"):
        value = getattr(data, field)
        if value:
            setattr(customer, field, value)
    if data.orders_count is not None:
        customer.orders_count = data.orders_count
    if data.lifetime_value is not None:
        customer.lifetime_value = data.lifetime_value
    if data.phone_raw:
        customer.phone_raw = data.phone_raw
        customer.phone = phone or ""
        customer.phone_invalid = phone is None
    consent_changes = _apply_consent(customer, data)
    customer.full_clean(exclude=["store", "email"], validate_unique=False)
    customer.save()
    _record_consent(customer, consent_changes, data)
    return customer
