from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ilp.notifications"
    label = "notifications"
