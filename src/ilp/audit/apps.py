from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ilp.audit"
    label = "audit"
