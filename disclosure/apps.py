from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "disclosure"
    verbose_name = "Disclosure"

    def ready(self) -> None:
        # Release targets and pre-notification dates join the home page's deadlines.
        from cases import dashboard
        from disclosure import deadlines

        dashboard.register_deadline_source(deadlines.release_targets)
        dashboard.register_deadline_source(deadlines.pre_notification_dates)
