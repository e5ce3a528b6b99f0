from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RolloutConfig(AppConfig):
    name = "ilp.rollout"
    label = "rollout"

    def ready(self) -> None:
        # UMS credentials and ALD tokens are rollout's; core authenticates them through these
        # resolvers (an ALD token is a UMS credential limited to one subscription key).
        from ilp.core.auth import ALD_TOKEN_PREFIX, UMS_CREDENTIAL_PREFIX, credential_kind_register

        from . import receivers  # noqa: F401  (connects rollout to licensing's domain events)
        from .selectors import principal_for_ald_token, principal_for_ums_credential
        from .signing import registered_forget

        credential_kind_register(prefix=UMS_CREDENTIAL_PREFIX, resolve=principal_for_ums_credential)
        credential_kind_register(prefix=ALD_TOKEN_PREFIX, resolve=principal_for_ald_token)
        # A flushed database has lost its JWKS rows: register the signing key again.
        post_migrate.connect(registered_forget, dispatch_uid="rollout.signing_key_forget")
