from django.contrib.postgres.fields import ArrayField
from django.db import models


class AlertNotice(models.Model):
    """An alert of the live view that was emailed: each is sent once (a breach, an idle stretch)."""

    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=100)
    text = models.CharField(max_length=500)
    emailed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="alert_notice_once")]

    def __str__(self) -> str:
        return self.text


# Daily roll-ups: the dashboard reads these instead of millions of raw rows. Each is derived data, rebuilt for a
# range of days by dashboards.services.rollups_refresh; ids are plain integers (no foreign keys) so that deleting
# or erasing the source rows is never blocked by them. Days are in the operation's time zone (TIME_ZONE).
EVERYONE = 0  # agent_id of the cart roll-up's rows that count every cart (no agent filter)


class RolledUpDay(models.Model):
    """A day whose roll-ups exist, and the moment they describe (their data reaches up to `as_of`)."""

    day = models.DateField(primary_key=True)
    as_of = models.DateTimeField()
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.day} as of {self.as_of:%Y-%m-%d %H:%M}"


class DailyRow(models.Model):
    day = models.DateField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.day}"


class CartsByDay(DailyRow):
    """Carts by the day they were abandoned (a cohort), with what became of them. The rows with agent_id 0 count
    every cart; a row with an agent counts the carts that agent contacted, with that agent's attempts only."""

    store_id = models.IntegerField()
    route = models.CharField(max_length=20)
    in_control_group = models.BooleanField()
    agent_id = models.IntegerField(default=EVERYONE)
    carts = models.IntegerField()
    recovered = models.IntegerField()
    recovered_value = models.DecimalField(max_digits=16, decimal_places=2)
    upsell_value = models.DecimalField(max_digits=16, decimal_places=2)
    value_after_contact = models.DecimalField(max_digits=16, decimal_places=2)
    timed = models.IntegerField(help_text="Call-first carts that became workable (speed to lead's denominator)")
    within_5 = models.IntegerField()
    within_30 = models.IntegerField()
    waits = models.JSONField(default=dict, help_text="Seconds to first contact: {bucket's lower bound: carts}")
    attempts = models.IntegerField()
    attempts_before_order = models.IntegerField()
    contacted_voice = models.IntegerField()
    contacted_sms = models.IntegerField()
    contacted_email = models.IntegerField()
    converted_voice = models.IntegerField()
    converted_sms = models.IntegerField()
    converted_email = models.IntegerField()
    abandoned_value = models.DecimalField(max_digits=16, decimal_places=2, default=0, db_default=0)
    worked = models.IntegerField(default=0, db_default=0, help_text="Carts with at least one contact attempt")
    active_within_5 = models.IntegerField(default=0, db_default=0,
                                          help_text="Timed carts first contacted within 5 minutes of the shopper's "
                                                    "last activity")
    active_within_30 = models.IntegerField(default=0, db_default=0)

    class Meta:
        indexes = [models.Index(fields=["agent_id", "day"], name="cartsbyday_agent_day")]


class WaitsByDay(DailyRow):
    """Seconds to first contact of the day's call-first carts (control group left out), by bucket: the cart roll-up's
    waits merged per store and for every store (store_id 0), so a median reads one short row per day."""

    store_id = models.IntegerField(help_text="0: every store")
    agent_id = models.IntegerField(default=EVERYONE)
    bounds = ArrayField(models.IntegerField(), help_text="Each bucket's lower bound, in seconds, ascending")
    counts = ArrayField(models.IntegerField(), help_text="Carts in each bucket")

    class Meta:
        indexes = [models.Index(fields=["agent_id", "store_id", "day"], name="waitsbyday_scope_day")]


class AttemptsByDay(DailyRow):
    """Contact attempts by the day they were made, with how many reached the customer."""

    store_id = models.IntegerField()
    route = models.CharField(max_length=20)
    channel = models.CharField(max_length=10)
    agent_id = models.IntegerField(default=EVERYONE, help_text="0: sent by the system")
    attempts = models.IntegerField(help_text="Attempts that left (not 'not_sent')")
    reached = models.IntegerField()
    not_sent = models.IntegerField()
    carts_first_called = models.IntegerField(help_text="Calls that were this agent's first on the cart")

    class Meta:
        indexes = [models.Index(fields=["day"], name="attemptsbyday_day")]


class CallsByDay(DailyRow):
    """Dialed calls by the day they were opened: how far into the script they went, and their handling."""

    store_id = models.IntegerField()
    route = models.CharField(max_length=20)
    agent_id = models.IntegerField()
    dialed = models.IntegerField()
    step_2 = models.IntegerField()
    step_3 = models.IntegerField()
    step_4 = models.IntegerField()
    step_5 = models.IntegerField()
    recovered = models.IntegerField()
    handled = models.IntegerField(help_text="Calls wrapped up (the handle time's denominator)")
    handle_seconds = models.FloatField()
    reached = models.IntegerField()
    complete = models.IntegerField(help_text="Reached calls that went through all five steps")

    class Meta:
        indexes = [models.Index(fields=["day"], name="callsbyday_day")]


class FrictionsByDay(DailyRow):
    store_id = models.IntegerField()
    agent_id = models.IntegerField()
    friction_id = models.IntegerField()
    found = models.IntegerField()
    resolved = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="frictionsbyday_day")]


class OffersByDay(DailyRow):
    store_id = models.IntegerField()
    agent_id = models.IntegerField()
    offer = models.TextField()
    offered = models.IntegerField()
    resolved = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="offersbyday_day")]


class RecoveriesByDay(DailyRow):
    """Recoveries credited to an agent, by the day of the order."""

    store_id = models.IntegerField()
    route = models.CharField(max_length=20)
    agent_id = models.IntegerField()
    recovered = models.IntegerField()
    value = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["day"], name="recoveriesbyday_day")]


class DutyByDay(DailyRow):
    """Seconds each agent was on duty (any status but away) within the day."""

    agent_id = models.IntegerField()
    seconds = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dutybyday_day")]
