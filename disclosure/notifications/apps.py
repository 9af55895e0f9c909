from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "disclosure.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        """Project modules are imported here, not at the top of this module: they import
        models, which cannot be imported while Django is still loading the apps."""
        # The app's audit action codes, before anything writes one.
        import disclosure.notifications.action_codes  # noqa: F401
        from cases import events
        from disclosure.notifications import checks  # noqa: F401 - registers the checks
        from disclosure.notifications.services import record_event

        # Every state change of the lower layers reaches the outbox through the one
        # event stream (cases/events.py), in the transaction of the change.
        events.subscribe(record_event)

        # Failed deliveries join the SIRT's work queue on the dashboard.
        from cases import dashboard
        from disclosure.notifications.work_queue import failed_notifications

        dashboard.register_queue_source(failed_notifications)
