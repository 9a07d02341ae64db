"""Erasure of a person's data (GDPR, Shopify's `customers/redact` and `shop/redact`, `manage.py erase_customer`)
and the nightly retention purge, which share the same table-by-table steps: compliance's own in `records`, and
those of the apps above it (recovery's customers, carts, events, messages and webhook bodies; agents' notes) in
each app's `services/erasure.py`, registered with `steps` from the app's `AppConfig.ready()` and run in the same
transaction.

What each table loses, and what the law makes us keep (GDPR art. 17(3)(b): data kept to meet a legal obligation
is exempt from erasure):

- Customer: deleted (names, number, address, language, consent flags, spend).
- Cart: customer detached, `raw_payload`, recovery link and storefront error text blanked; numbers and addresses
  in its status reason masked. Kept: value, items, times, status, attribution (no person in them).
- CartEvent, RecoveryMessage: numbers and addresses in details masked; a message's recipient blanked.
- Call (agents): notes, friction notes and offer notes become "[erased]"; DraftOrder notes likewise.
  Kept: the answer, disposition, timings, amounts (the dashboards' figures).
- ContactAttempt: texts and emails lose their number or address. Calls are call detail records (number, time,
  duration, outcome), which the Telemarketing Sales Rule (16 CFR 310.5) makes us keep 5 years: they stay whole,
  with a LegalHold row giving the date and reason; the purge blanks them after it.
- ContactDecision (append-only): number and address blanked, except a call's own decision, which is part of its
  call detail record (the DNC screening) and is held with it.
- OptOut (append-only): number, address and evidence (an inbound text's body) blanked, for the store's own rows
  and rows of no store; the opt-out's effect survives as a Suppression.
- InboundMessage: an inbound text's number and body blanked (the person's texts answering the store, or no store;
  a whole store's; any older than the retention period); the sid stays, so a replay of it is still refused.
- ConsentRecord (append-only): kept whole for 5 years (TSR; TCPA) under a LegalHold, then blanked by the purge.
- Internal DNC list: the number is replaced by its Suppression. National, state and TPS lists are public
  registries, re-imported as published: not ours to erase.
- WebhookDelivery: the stored bodies mentioning the person (address, number, customer, checkout or order id)
  become a marker, their error text too; headers, topic and outcome stay.
- Suppression: an HMAC-SHA256 under `SUPPRESSION_HASH_KEY` of each erased number and address that had an
  opt-out (per scope), was on the internal DNC list, or whose owner asked to be erased to stop contact; the
  gate denies any contact that hashes to one (`suppressed_after_erasure`).

The append-only tables accept these blanking UPDATEs only inside a transaction bound to a PrivacyRequest
(`records.request_bind`; the trigger of migration 0010); every other UPDATE and every DELETE is still refused.
"""

from compliance.services.erasure.requests import customer_erase, data_request_record
from compliance.services.erasure.retention import retention_purge
from compliance.services.erasure.shop import shop_erase
from compliance.services.erasure.shopify import shopify_privacy_request_apply

__all__ = ["customer_erase", "data_request_record", "retention_purge", "shop_erase", "shopify_privacy_request_apply"]
