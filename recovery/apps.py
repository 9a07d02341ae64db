from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Cart recovery"

    def ready(self) -> None:
        from compliance.services.erasure import steps  # in ready(): the steps import the models, loaded only by now
        from recovery.services.erasure import RecoveryErasure

        steps.register(RecoveryErasure())  # customers, carts, events, messages, webhook bodies
