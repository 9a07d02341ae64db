from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from compliance.models import ContactAttempt, ContactDecision, DncList
from recovery.models import Cart, Customer, Platform, Store


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("shop_domain",)

    name = factory.Sequence(lambda n: f"Store {n}")
    platform = Platform.SHOPIFY
    shop_domain = factory.Sequence(lambda n: f"store-{n}.myshopify.com")
    currency = "USD"
    timezone = "America/New_York"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    store = factory.SubFactory(StoreFactory)
    first_name = "Jane"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    email = factory.Sequence(lambda n: f"jane{n}@example.com")
    phone = "+12125550142"
    country = "US"
    region = "NY"


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    store = factory.SubFactory(StoreFactory)
    customer = factory.SubFactory(CustomerFactory, store=factory.SelfAttribute("..store"))
    checkout_token = factory.Sequence(lambda n: f"token{n:06d}")
    status = Cart.Status.OPEN
    total_value = Decimal("250.00")
    currency = "USD"
    abandoned_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    platform_updated_at = factory.SelfAttribute("abandoned_at")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


def add_entry(dnc_list: DncList, phone: str) -> None:
    """List `phone` on `dnc_list`, creating the list's partition first (entries live in one partition per list,
    which the import creates in the product)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS compliance_dncentry_p{dnc_list.pk} PARTITION OF "
                       f"compliance_dncentry FOR VALUES IN ({dnc_list.pk})")
        cursor.execute("INSERT INTO compliance_dncentry (dnc_list_id, phone) VALUES (%s, %s)", [dnc_list.pk, phone])


def attempt(cart, channel, at, *, agent=None, outcome="", provider_status="") -> ContactAttempt:
    """A contact attempt on `cart` at `at`, with the allowing decision every attempt has."""
    decision = ContactDecision.objects.create(at=at, requester="t", store=cart.store, phone="+12125550100",
                                              channel=channel, allowed=True)
    return ContactAttempt.objects.create(decision=decision, store=cart.store, cart=cart, channel=channel,
                                         phone="+12125550100", agent=agent, at=at, outcome=outcome,
                                         provider_status=provider_status)
