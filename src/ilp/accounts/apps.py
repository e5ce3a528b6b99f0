from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ilp.accounts"
    label = "accounts"

    def ready(self) -> None:
        # core authenticates requests and scopes company pages with these (it cannot import
        # accounts: docs/architecture.md).
        from ilp.core.auth import (
            STAFF_TOKEN_PREFIX,
            USER_TOKEN_PREFIX,
            credential_kind_register,
            membership_lookup_register,
            staff_register,
            two_factor_gate_register,
        )
        from ilp.webhooks.services import administrators_lookup_register

        from .selectors import (
            administrators_addresses,
            company_staff_view,
            membership_get,
            membership_two_factor_ok,
            principal_for_staff_token,
            principal_for_user_token,
            staff_standing_of,
        )

        credential_kind_register(prefix=USER_TOKEN_PREFIX, resolve=principal_for_user_token)
        credential_kind_register(prefix=STAFF_TOKEN_PREFIX, resolve=principal_for_staff_token)
        membership_lookup_register(membership_get)
        two_factor_gate_register(
            satisfied=membership_two_factor_ok, setup_url_name="accounts:two_factor"
        )
        # webhooks mails a company's administrators when it disables a failing endpoint.
        administrators_lookup_register(administrators_addresses)
        staff_register(standing=staff_standing_of, company_view=company_staff_view)
