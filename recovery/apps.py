from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Cart recovery"

    def ready(self) -> None:
        # In ready(): these modules import the models, loaded only by now.
        from compliance.services.erasure import steps
        from compliance.services.scrub import lists_changed_subscribe
        from recovery.services.erasure import RecoveryErasure
        from recovery.tasks import scrub_open_carts_task

        steps.register(RecoveryErasure())  # customers, carts, events, messages, webhook bodies
        lists_changed_subscribe(scrub_open_carts_task.delay)  # a DNC list changed: re-check the open carts
