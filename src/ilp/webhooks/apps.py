from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "ilp.webhooks"
    label = "webhooks"
