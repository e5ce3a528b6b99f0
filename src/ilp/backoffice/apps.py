from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "ilp.backoffice"
    label = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from django.contrib import admin

        from .admin_site import admin_for_superusers_only

        admin_for_superusers_only(admin.site)
