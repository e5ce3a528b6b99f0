from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "ilp.rollout"
    label = "rollout"
