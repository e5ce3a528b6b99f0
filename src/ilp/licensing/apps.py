from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LicensingConfig(AppConfig):
    name = "ilp.licensing"
    label = "licensing"

    def ready(self) -> None:
        from .catalogue import catalogue_seed_if_empty

        post_migrate.connect(catalogue_seed_if_empty, sender=self)
