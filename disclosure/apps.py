from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = "Disclosure"

    def ready(self) -> None:
        """Project modules are imported here, not at the top of this module: they import
        models, which cannot be imported while Django is still loading the apps."""
        # The app's timeline and audit action codes, before anything writes one.
        import disclosure.action_codes  # noqa: F401

        # Embargo ends, release targets, acknowledgements, pre-notifications and
        # deployment reports join the home page's deadlines, each persona seeing the
        # lines that are theirs to act on (cases knows nothing of them: lower layer).
        from cases import dashboard
        from disclosure import deadlines

        dashboard.register_deadline_source(deadlines.lines_for_user)

        # Advisories to review and date proposals to decide join the SIRT's work queue.
        from disclosure import work_queue

        dashboard.register_queue_source(work_queue.advisories_to_review)
        dashboard.register_queue_source(work_queue.proposals_to_decide)
