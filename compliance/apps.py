from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from compliance import trail_signals
        from config.prepared import plan_prepared_statements_once

        trail_signals.connect()
        plan_prepared_statements_once()  # the gate's facts and the work queue's statements
