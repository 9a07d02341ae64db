from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Cart recovery"

    def ready(self) -> None:
        # In ready(): these modules import the models, loaded only by now.
        from compliance.selectors import customer_facts_sql_register
        from compliance.services.erasure import steps
        from compliance.services.scrub import lists_changed_subscribe
        from recovery import selectors
        from recovery.services.erasure import RecoveryErasure
        from recovery.tasks import scrub_open_carts_task

        steps.register(RecoveryErasure())  # customers, carts, events, messages, webhook bodies
        lists_changed_subscribe(scrub_open_carts_task.delay)  # a DNC list changed: re-check the open carts
        customer_facts_sql_register(last_cart_by_phone=selectors.CUSTOMER_LAST_CART_BY_PHONE_SQL,
                                    last_cart_by_email=selectors.CUSTOMER_LAST_CART_BY_EMAIL_SQL,
                                    address_by_phone=selectors.CUSTOMER_ADDRESS_BY_PHONE_SQL)
