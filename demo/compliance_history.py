"""Demo compliance data: a small national registry sample kept current, an internal list,
policies with the safe defaults, a few opt-outs, then a scrub of the open carts.

The sample registry is only (re)imported while the national list is the demo's own
(a few dozen numbers): a real registry imported on a development machine is never
overwritten.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from compliance.models import CompliancePolicy, OptOut
from compliance.services import dnc_add_numbers, dnc_import_create, dnc_import_run, dnc_list_get_or_create
from compliance.services.optouts import optout_record
from recovery.models import Cart, Customer
from recovery.services.carts import cart_reroute
from recovery.services.rescoring import carts_reprioritize
from recovery.services.scrub import carts_scrub

DEMO_REGISTRY_MAX_ENTRIES = 100
REFRESH_AFTER = timedelta(days=7)
# Numbers on the sample registry besides a few demo customers' (FTC format: 10 digits per line).
SAMPLE_REGISTRY = [f"20255501{n:02d}" for n in range(20)] + [f"31255501{n:02d}" for n in range(10)]


def _demo_registry_file(extra_numbers: list[str]) -> Path:
    path = Path(settings.BASE_DIR) / "var" / "demo" / "national-registry-sample.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(SAMPLE_REGISTRY + extra_numbers) + "\n")
    return path


def _refresh_national_list(customer_numbers: list[str]) -> None:
    national, _ = dnc_list_get_or_create(name="national")
    stale = national.last_full_import_at is None or timezone.now() - national.last_full_import_at > REFRESH_AFTER
    if not stale or national.entry_count > DEMO_REGISTRY_MAX_ENTRIES:
        return
    ftc_lines = [number.removeprefix("+1") for number in customer_numbers]
    record = dnc_import_create(dnc_list=national, path=_demo_registry_file(ftc_lines), mode="replace",
                               file_format="ftc")
    dnc_import_run(import_id=record.pk)


def seed_demo_compliance(stores) -> int:
    """Returns how many open carts the scrub suppressed."""
    for store in stores:
        CompliancePolicy.objects.get_or_create(store=store)
    customers = list(Customer.objects.filter(store__in=stores).exclude(phone="").order_by("pk"))
    phones = [customer.phone for customer in customers]
    _refresh_national_list([str(phone) for phone in phones[5:60:11]])
    internal, created = dnc_list_get_or_create(name="internal")
    if created:
        dnc_add_numbers(dnc_list=internal, phones=[str(phone) for phone in phones[7:60:13]], source="demo")
    if not OptOut.objects.filter(source=OptOut.Source.ADMIN, evidence__startswith="Demo").exists():
        open_ids = set(Customer.objects.filter(pk__in=[c.pk for c in customers], carts__status="open")
                       .values_list("pk", flat=True))
        with_open_carts = [customer for customer in customers if customer.pk in open_ids]
        for customer, scope in zip(with_open_carts[3:40:12], ["sms", "all", "voice"], strict=False):
            optout_record(phone=str(customer.phone), email=customer.email if scope == "all" else "", scope=scope,
                          source=OptOut.Source.ADMIN, evidence="Demo: customer asked not to be contacted at all"
                          if scope == "all" else f"Demo: customer asked for no more {scope} contact")
    suppressed = len(carts_scrub().suppressed)
    carts_reprioritize()  # scores only: the seeded carts routed automated-first start their sequence below
    unstarted = Cart.objects.open().filter(route=Cart.Route.AUTOMATED_FIRST, sequence_anchor_at__isnull=True,
                                           in_control_group=False).values_list("pk", flat=True)
    for cart_id in list(unstarted):
        cart_reroute(cart_id=cart_id)
    return suppressed
