from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ilp.core"
    label = "core"
