from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        # Audit rows for sign-in events; ending sessions on deactivation.
        from cases.accounts import signals  # noqa: F401
