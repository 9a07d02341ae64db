"""The friction taxonomy of step 2, with suggested resolutions for step 3, and general value points."""

from django.db import migrations

FRICTIONS = [
    ("shipping_costs", "Unexpected shipping or taxes",
     "Explain what the shipping and taxes pay for and when it arrives\nMention the free-shipping threshold if the "
     "cart is close\nOffer the cheaper delivery option"),
    ("payment_failed", "Payment declined or failed",
     "Suggest another card or a wallet (Apple Pay, Google Pay, PayPal)\nOffer a payment link by email or text\n"
     "Take the payment by phone through the secure terminal\nCheck the billing address matches the card"),
    ("delivery_timeline", "Delivery timeline",
     "Give the real delivery date for their address\nOffer express delivery\nExplain order tracking"),
    ("account_required", "Account creation required",
     "Walk through guest checkout\nOffer to send a link that skips account creation"),
    ("trust_security", "Security or trust concern",
     "Explain the secure checkout and payment provider\nPoint to reviews and the returns policy\n"
     "Offer an invoice or payment by phone"),
    ("product_question", "Product question or compatibility",
     "Answer the product question from the specifications\nConfirm compatibility with what they own\n"
     "Suggest the right variant or size"),
    ("financing", "Financing",
     "Explain the instalment options (pay later)\nSend a link to the financing application"),
    ("price", "Price",
     "Reinforce the value: warranty, quality, what is included\nMention a current promotion if one applies\n"
     "Suggest a lower-priced alternative"),
    ("no_time", "Didn't have time",
     "Offer to send the link to finish in a minute\nOffer a callback at a better time"),
    ("comparing", "Comparing alternatives",
     "Explain what sets the product apart\nPoint to reviews and comparisons\nMention price match if the store has one"),
    ("other", "Other", "Listen, note the reason and offer the checkout link"),
]

VALUE_POINTS = [
    ("Free returns within 30 days", ""),
    ("Secure checkout: card details are never seen by our team", ""),
    ("Rated 4.8/5 by verified buyers", ""),
]


def seed(apps, schema_editor):
    FrictionReason = apps.get_model("agents", "FrictionReason")
    ValuePoint = apps.get_model("agents", "ValuePoint")
    for position, (code, label, suggestions) in enumerate(FRICTIONS):
        FrictionReason.objects.get_or_create(code=code, defaults={"label": label, "suggestions": suggestions,
                                                                 "position": position * 10})
    if not ValuePoint.objects.exists():
        for position, (text, keyword) in enumerate(VALUE_POINTS):
            ValuePoint.objects.create(store=None, text=text, product_keyword=keyword, position=position * 10)


class Migration(migrations.Migration):
    dependencies = [("agents", "0005_call_console")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
