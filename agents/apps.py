from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Recovery team"

    def ready(self) -> None:
        from agents import signals  # noqa: F401 (connects the sign-in and sign-out receivers)
