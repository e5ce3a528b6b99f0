from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "ilp.licensing"
    label = "licensing"
