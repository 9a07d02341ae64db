"""Load the demo data: stores, the recovery team, and a few hundred carts over 90 days.

Idempotent: stores and users are matched by their natural keys, and the carts
are only generated when the demo stores have none, so `make run` can call it
every time. Values are deterministic (a fixed random seed) so screenshots and
walkthroughs look the same on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from agents.models import AgentProfile, ValuePoint
from compliance.models import ConsentRecord
from core.access import ADMIN, AGENT, SUPERVISOR
from dashboards.rollups import rollups_refresh
from demo.activity import seed_demo_activity
from demo.compliance_history import seed_demo_compliance
from recovery.models import Cart, CartEvent, CartLineItem, Customer, Platform, Store
from recovery.models.stores import hash_api_token

DEMO_SHOP_DOMAIN = "demo-store.myshopify.com"
DEMO_WOO_DOMAIN = "coffee-gear.example.com"
# B105: demo data, documented in the README.
DEMO_WOO_SECRET = "demo-woocommerce-webhook-secret"  # nosec B105
DEMO_CUSTOM_DOMAIN = "api.outdoor-outfitters.example.com"
# B105: demo data, documented in the README.
DEMO_API_TOKEN = "crs_demo_custom_store_token_for_development_only"  # nosec B105
CART_COUNT = 320
# A store's name is what agents say aloud ("this is Maya from Demo E-Bikes"), so it names the shop, never its
# platform; the platform is a field of its own. The names the demo stores had before, and theirs now:
PLATFORM_NAMED = {"Demo E-Bikes (Shopify)": "Demo E-Bikes", "Coffee Gear Co. (WooCommerce)": "Coffee Gear Co.",
                  "Outdoor Outfitters (REST API)": "Outdoor Outfitters"}

TEAM = [
    ("agent1", "Maya", "Lopez", AGENT, "demo-agent-1"),
    ("agent2", "Sam", "Okafor", AGENT, "demo-agent-2"),
    ("agent3", "Priya", "Shah", AGENT, "demo-agent-3"),
    ("supervisor", "Jordan", "Reyes", SUPERVISOR, "demo-supervisor"),
    ("supervisor2", "Riley", "Chen", SUPERVISOR, "demo-supervisor-2"),
    ("admin", "Alex", "Kim", ADMIN, "demo-admin"),
]

# The team's stores, for those who see only some: a supervisor of the WooCommerce store's team.
TEAM_STORES = {"supervisor2": (DEMO_WOO_DOMAIN,)}

# (area code, region code) pairs that keep phones and states consistent.
US_AREAS = [("212", "NY"), ("415", "CA"), ("312", "IL"), ("512", "TX"), ("206", "WA"), ("617", "MA"), ("305", "FL")]
FIRST_NAMES = ["Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas", "Mia", "Leo"]
LAST_NAMES = ["Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Moore", "Taylor", "Clark", "Hall"]


@dataclass(frozen=True)
class Product:
    title: str
    sku: str
    price: str
    variant: str = ""


CATALOGUES = {
    Platform.SHOPIFY: [
        Product("Trailhead E-Bike 500W", "EB-500", "2499.00", "Large / Slate"),
        Product("City Commuter E-Bike", "EB-CITY", "1699.00", "Medium / Sand"),
        Product("Carbon Helmet MIPS", "HEL-C1", "189.00", "M"),
        Product("Spare Battery 720Wh", "BAT-720", "649.00"),
        Product("Panniers, waterproof (pair)", "PAN-WP", "129.00"),
        Product("Smart Lock", "LCK-S", "99.00"),
        Product("Annual Service Plan", "SRV-Y1", "249.00"),
    ],
    Platform.WOOCOMMERCE: [
        Product("Dual Boiler Espresso Machine", "ESP-DB", "1899.00"),
        Product("Flat Burr Grinder", "GRD-64", "549.00"),
        Product("Single-origin beans 1 kg", "BEAN-1K", "38.00", "Ethiopia Guji"),
        Product("Milk Pitcher 600 ml", "PIT-600", "24.00"),
        Product("Water Filter Kit", "FLT-KIT", "79.00"),
    ],
    Platform.CUSTOM: [
        Product("4-Season Tent, 3 person", "TNT-4S3", "749.00"),
        Product("Down Sleeping Bag -10°C", "SLB-10", "389.00"),
        Product("Trekking Poles (pair)", "POL-CF", "149.00"),
        Product("Backpacking Stove", "STV-1", "89.00"),
    ],
}


def demo_logins() -> list[str]:
    """The demo team's sign-ins, one line each: what seed_demo and `make run`'s closing banner print."""
    lines = []
    for username, _first, _last, role, password in TEAM:
        scope = f" (sees {', '.join(TEAM_STORES[username])} only)" if username in TEAM_STORES else ""
        lines.append(f"{username:<11} / {password:<17} {role}{scope}")
    return lines


class Command(BaseCommand):
    help = "Load demo stores, the recovery team and a few hundred carts (idempotent)."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        with transaction.atomic():
            stores = self._stores()
            self._team()
            self._value_points(stores)
            created = 0
            if not Cart.objects.filter(store__in=stores).exists():
                # B311: seeded demo data, not security.
                created = self._carts(stores, random.Random(20261123))  # nosec B311
                self._consent(stores)
        with transaction.atomic():
            # B311: seeded demo data, not security.
            calls = seed_demo_activity(stores, random.Random(20261124))  # nosec B311
        suppressed = seed_demo_compliance(stores)  # outside the transaction: DNC imports use their own connection
        rolled_up = rollups_refresh()  # the dashboards' daily roll-ups of the demo's history (beat keeps them)
        if verbosity:
            self._print_summary(created)
            if calls:
                self.stdout.write(f"Demo history: {calls} calls by the team over 90 days, shifts and messages.")
            self.stdout.write(f"Compliance: demo DNC lists current; {suppressed} open carts suppressed by the scrub.")
            self.stdout.write(f"Dashboards: {rolled_up} days rolled up.")

    def _value_points(self, stores: list[Store]) -> None:
        """Each demo store's own reasons to buy, for step 4 of the call script."""
        points = {
            DEMO_SHOP_DOMAIN: [("2-year warranty on the frame, motor and battery", "e-bike"),
                               ("Free assembly and a first service at any partner shop", "")],
            DEMO_WOO_DOMAIN: [("Free descaling kit and a barista video course with every machine", "espresso"),
                              ("Beans roasted to order, shipped within 48 hours", "")],
        }
        for store in stores:
            for position, (text, keyword) in enumerate(points.get(store.shop_domain, [])):
                ValuePoint.objects.get_or_create(store=store, text=text,
                                                 defaults={"product_keyword": keyword, "position": position})

    def _consent(self, stores: list[Store]) -> None:
        """The SMS consent the demo customers gave at checkout, as consent records."""
        records = [
            ConsentRecord(store=customer.store, customer=customer, channel="sms", phone=str(customer.phone),
                          granted=True, basis="express_written", source="demo", at=customer.created_at,
                          evidence="accepts SMS marketing = true (demo data)")
            for customer in Customer.objects.filter(store__in=stores, accepts_sms_marketing=True).exclude(phone="")
        ]
        ConsentRecord.objects.bulk_create(records)

    def _stores(self) -> list[Store]:
        shopify, _ = Store.objects.get_or_create(
            shop_domain=DEMO_SHOP_DOMAIN,
            defaults={"name": "Demo E-Bikes", "platform": Platform.SHOPIFY, "currency": "USD",
                      "timezone": "America/New_York"},
        )
        woo, _ = Store.objects.get_or_create(
            shop_domain=DEMO_WOO_DOMAIN,
            defaults={"name": "Coffee Gear Co.", "platform": Platform.WOOCOMMERCE, "currency": "USD",
                      "timezone": "America/Chicago", "webhook_secret": DEMO_WOO_SECRET},
        )
        custom, _ = Store.objects.get_or_create(
            shop_domain=DEMO_CUSTOM_DOMAIN,
            defaults={"name": "Outdoor Outfitters", "platform": Platform.CUSTOM, "currency": "USD",
                      "timezone": "America/Denver", "api_token_hash": hash_api_token(DEMO_API_TOKEN),
                      "api_token_prefix": DEMO_API_TOKEN[:12]},
        )
        for store in (shopify, woo, custom):
            if store.name in PLATFORM_NAMED:  # seeded before the names lost their platform
                store.name = PLATFORM_NAMED[store.name]
                store.save(update_fields=["name"])
        return [shopify, woo, custom]

    def _team(self) -> None:
        User = get_user_model()
        for username, first, last, role, password in TEAM:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"}
            )
            if created:
                user.set_password(password)
                user.is_staff = role == ADMIN
                user.is_superuser = role == ADMIN
                user.save()
            user.groups.add(Group.objects.get_or_create(name=role)[0])
            if username in TEAM_STORES:
                profile, _ = AgentProfile.objects.get_or_create(user=user)
                profile.stores.set(Store.objects.filter(shop_domain__in=TEAM_STORES[username]))

    def _carts(self, stores: list[Store], rng: random.Random) -> int:
        now = timezone.now()
        for index in range(CART_COUNT):
            store = rng.choices(stores, weights=[6, 3, 1])[0]
            customer = self._customer(store, index, rng)
            # A third in the last week (the live queue), the rest over 90 days (the dashboards' history).
            recent = rng.random() < 0.33
            abandoned_at = now - timedelta(minutes=rng.randint(20, (7 if recent else 90) * 24 * 60))
            token = f"demo{index:04d}{rng.getrandbits(64):016x}"
            cart = Cart(store=store, external_id=f"demo-{index:04d}", checkout_token=token, customer=customer,
                        currency=store.currency, abandoned_at=abandoned_at,
                        platform_created_at=abandoned_at - timedelta(minutes=rng.randint(2, 25)),
                        platform_updated_at=abandoned_at, payment_failed=rng.random() < 0.12,
                        reached_payment_step=rng.random() < 0.55,
                        checkout_url=f"https://{store.shop_domain}/checkouts/demo-{index:04d}/recover")
            if cart.payment_failed:
                cart.error_text = rng.choice(["Card declined (insufficient funds)", "3-D Secure authentication failed",
                                              "Address verification failed"])
            if rng.random() < 0.15:
                cart.discount_code_tried = rng.choice(["WELCOME10", "SPRING15", "FREESHIP"])
            items = self._items(store, rng)
            cart.total_value = sum((item.unit_price * item.quantity for item in items), Decimal("0"))
            self._outcome(cart, now, rng)
            cart.workable_since = cart.abandoned_at
            cart.save()
            for item in items:
                item.cart = cart
            CartLineItem.objects.bulk_create(items)
            self._history(cart)
        return CART_COUNT

    def _customer(self, store: Store, index: int, rng: random.Random) -> Customer:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        area, region = rng.choice(US_AREAS)
        invalid_phone = rng.random() < 0.03
        return Customer.objects.create(
            store=store, external_id=f"demo-customer-{index:04d}", first_name=first, last_name=last,
            email=f"{first}.{last}.{index}@example.com".lower(),
            phone="" if invalid_phone else f"+1{area}555{rng.randint(100, 199):04d}",
            phone_raw="call after 6" if invalid_phone else f"({area}) 555-{rng.randint(100, 199):04d}",
            phone_invalid=invalid_phone, country="US", region=region,
            accepts_email_marketing=rng.random() < 0.6, accepts_sms_marketing=rng.random() < 0.35,
            email_consent_source="demo", sms_consent_source="demo",
        )

    def _items(self, store: Store, rng: random.Random) -> list[CartLineItem]:
        catalogue = CATALOGUES[store.platform]
        picks = rng.sample(catalogue, k=rng.choice([1, 1, 2, 2, 3]))
        return [
            CartLineItem(position=position, title=product.title, sku=product.sku, variant=product.variant,
                         quantity=rng.choice([1, 1, 1, 2]), unit_price=Decimal(product.price))
            for position, product in enumerate(picks)
        ]

    def _outcome(self, cart: Cart, now, rng: random.Random) -> None:
        age = now - cart.abandoned_at
        roll = rng.random()
        if age < timedelta(hours=1) and roll < 0.3:
            cart.status, cart.abandoned_at = Cart.Status.PENDING, None
        elif roll < 0.24:
            cart.status = Cart.Status.RECOVERED
            cart.recovered_at = cart.abandoned_at + timedelta(minutes=rng.randint(15, 4 * 24 * 60))
            cart.recovered_at = min(cart.recovered_at, now)
            cart.completed_at = cart.recovered_at
            cart.recovered_value = cart.total_value
            cart.recovered_order_id = f"#{1000 + rng.randint(0, 8999)}"
        elif age > timedelta(days=14) and roll < 0.6:
            cart.status = Cart.Status.EXPIRED
        elif age > timedelta(days=3) and roll < 0.85 or age > timedelta(days=7):  # the stores' `lost_after`
            cart.status = Cart.Status.LOST
            cart.status_reason = "Not recovered within 7 days of abandonment."
        else:
            cart.status = Cart.Status.OPEN

    def _history(self, cart: Cart) -> None:
        created_at = cart.platform_created_at
        events = [CartEvent(cart=cart, kind=CartEvent.Kind.CREATED, source=CartEvent.Source.DEMO, at=created_at)]
        if cart.abandoned_at:
            events.append(
                CartEvent(cart=cart, kind=CartEvent.Kind.ABANDONED, source=CartEvent.Source.DEMO, at=cart.abandoned_at)
            )
        if cart.status == Cart.Status.RECOVERED:
            events.append(CartEvent(cart=cart, kind=CartEvent.Kind.ORDER_PLACED, source=CartEvent.Source.DEMO,
                                    at=cart.recovered_at, detail={"order_id": cart.recovered_order_id}))
        CartEvent.objects.bulk_create(events)

    def _print_summary(self, created: int) -> None:
        total = Cart.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} carts created this run, {total} in all)."))
        self.stdout.write("Demo logins (username / password):")
        for line in demo_logins():
            self.stdout.write(f"  {line}")
        self.stdout.write(f"Shopify demo store: {DEMO_SHOP_DOMAIN} (webhooks signed with SHOPIFY_API_SECRET)")
        self.stdout.write(f"WooCommerce demo store: {DEMO_WOO_DOMAIN} (webhook secret {DEMO_WOO_SECRET})")
        self.stdout.write(f"REST API demo token: {DEMO_API_TOKEN}")
