from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "ilp.rollout"
    label = "rollout"

    def ready(self) -> None:
        # UMS credentials are rollout's; core authenticates them through this resolver.
        from ilp.core.auth import UMS_CREDENTIAL_PREFIX, credential_kind_register

        from . import receivers  # noqa: F401  (connects rollout to licensing's domain events)
        from .selectors import principal_for_ums_credential

        credential_kind_register(prefix=UMS_CREDENTIAL_PREFIX, resolve=principal_for_ums_credential)
