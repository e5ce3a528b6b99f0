from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "ilp.scim"
    label = "scim"
