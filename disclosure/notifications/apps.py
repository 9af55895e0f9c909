from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "disclosure.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from disclosure.notifications import checks  # noqa: F401 - registers the checks
