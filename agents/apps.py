from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Recovery team"

    def ready(self) -> None:
        from agents.services.erasure import AgentsErasure
        from compliance.services.erasure import steps

        steps.register(AgentsErasure())  # calls' and draft orders' notes
