from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        """Project modules are imported here, not at the top of this module: they import
        models, which cannot be imported while Django is still loading the apps."""
        # The app's timeline and audit action codes, before anything writes one.
        import cases.action_codes  # noqa: F401, I001 - first, before any code writes

        # Audit rows for sign-in events; ending sessions on deactivation.
        from cases import checks  # noqa: F401 - registers the access drift check
        from cases.accounts import signals  # noqa: F401

        # The triggers behind the case page's cached fragments, after every migrate.
        from django.db.models.signals import post_migrate

        from cases import page_cache

        post_migrate.connect(page_cache.install_after_migrate, sender=self)
