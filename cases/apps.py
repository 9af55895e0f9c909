from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        """Project modules are imported here, not at the top of this module: they import
        models, which cannot be imported while Django is still loading the apps."""
        # The app's timeline and audit action codes, before anything writes one.
        import cases.action_codes  # noqa: F401

        # Audit rows for sign-in events; ending sessions on deactivation.
        from cases import checks  # noqa: F401 - registers the access drift check
        from cases.accounts import signals  # noqa: F401
