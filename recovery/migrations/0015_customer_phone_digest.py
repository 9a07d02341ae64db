"""Customers keep their number's suppression digest, so the work queue's pop can probe the erasure
suppressions in its own statement; existing customers get theirs here (a customer without one is still
screened correctly, by a separate read)."""

from django.db import migrations, models

BATCH = 2000


def digests_fill(apps, schema_editor):
    from compliance.models.privacy import suppression_digest

    Customer = apps.get_model("recovery", "Customer")
    pending = Customer.objects.exclude(phone="").filter(phone_digest="").only("id", "phone").order_by("id")
    batch = []
    for customer in pending.iterator(chunk_size=BATCH):
        customer.phone_digest = suppression_digest(phone=getattr(customer.phone, "as_e164", customer.phone))
        batch.append(customer)
        if len(batch) == BATCH:
            Customer.objects.bulk_update(batch, ["phone_digest"])
            batch = []
    Customer.objects.bulk_update(batch, ["phone_digest"])


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0014_customer_email_upper_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="phone_digest",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(digests_fill, migrations.RunPython.noop, elidable=True),
    ]
