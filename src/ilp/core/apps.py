from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ilp.core"
    label = "core"

    def ready(self):
        from . import (
            checks,  # noqa: F401  (registers the deploy checks)
            lookups,  # noqa: F401  (registers `__any_of`)
        )
