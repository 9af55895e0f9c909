from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = "Disclosure"

    def ready(self) -> None:
        """Project modules are imported here, not at the top of this module: they import
        models, which cannot be imported while Django is still loading the apps."""
        # The app's timeline and audit action codes, before anything writes one.
        import disclosure.action_codes  # noqa: F401

        # Embargo ends, release targets and pre-notification dates join the home page's
        # deadlines (cases knows nothing of them: it is the lower layer).
        from cases import dashboard
        from disclosure import deadlines

        dashboard.register_deadline_source(deadlines.embargo_dates)
        dashboard.register_deadline_source(deadlines.release_targets)
        dashboard.register_deadline_source(deadlines.pre_notification_dates)
