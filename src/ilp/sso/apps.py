from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "ilp.sso"
    label = "sso"

    def ready(self) -> None:
        # core asks on every company route whether a member who did not sign in by SSO may
        # act there (require_sso); it cannot import this app (docs/architecture.md).
        from ilp.core.auth import sso_gate_register

        from .selectors import membership_sso_ok

        sso_gate_register(satisfied=membership_sso_ok)
