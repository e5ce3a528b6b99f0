from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ilp.notifications"
    label = "notifications"

    def ready(self) -> None:
        from . import metrics

        metrics.register()  # the outbox's gauges in GET /metrics
