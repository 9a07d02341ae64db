from django.apps import AppConfig

from core.db.prepared import plan_prepared_statements_once


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from compliance import trail_signals  # in ready(): it imports the models, loaded only by now

        trail_signals.connect()
        plan_prepared_statements_once()  # the gate's facts and the work queue's statements
