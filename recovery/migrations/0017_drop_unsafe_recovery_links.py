"""Recovery links that are not http(s) (a `javascript:` or `data:` link a store's payload carried) were stored as
they came and rendered as links; they are emptied here, each cart's history saying why. Links arriving from now
on are checked by `integrations.parsing.recovery_link_problem` where every source converges."""

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

BATCH = 2000
NOTE = "Recovery link dropped: it was not an http:// or https:// link (cleared when links began to be checked)."


def unsafe_links_drop(apps, schema_editor):
    Cart = apps.get_model("recovery", "Cart")
    CartEvent = apps.get_model("recovery", "CartEvent")
    unsafe = (Cart.objects.exclude(checkout_url="")
              .exclude(Q(checkout_url__istartswith="https://") | Q(checkout_url__istartswith="http://")))
    last = 0
    while True:
        ids = list(unsafe.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return
        now = timezone.now()
        Cart.objects.filter(pk__in=ids).update(checkout_url="")
        CartEvent.objects.bulk_create(CartEvent(cart_id=cart_id, kind="updated", source="system", at=now,
                                                detail={"note": NOTE}) for cart_id in ids)
        last = ids[-1]


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0016_store_uninstalled_at"),
    ]

    operations = [
        migrations.RunPython(unsafe_links_drop, migrations.RunPython.noop, elidable=True),
    ]
