"""Every change to people and access, by subject. Each service runs in one transaction with
its audit event and its outbox mail. Views, the API, the admin and other apps import the
services from here."""

from .access_requests import access_request_dismiss, access_request_invite
from .companies import (
    COMPANY_EDITABLE,
    company_create,
    company_customer_number_set,
    company_two_factor_require,
    company_update,
)
from .contact_person import contact_person_handle
from .deletion import account_deletion_check, account_deletion_confirm, account_deletion_request
from .invitations import (
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_withdraw,
)
from .members import (
    member_add,
    member_deprovision,
    member_remove,
    member_role_change,
    sessions_end,
    user_create_without_password,
)
from .passwords import (
    password_change,
    password_reset_check,
    password_reset_complete,
    password_reset_request,
)
from .profile import profile_update, time_zone_check, time_zone_names, time_zone_set
from .registrations import RegistrationOutcome, registration_create
from .sessions import (
    company_sso_required_set,
    session_begin,
    session_end,
    session_end_current,
    session_key_follow,
    session_seen,
    sessions_end_all,
    sign_in_by_api,
    sign_in_failed,
)
from .staff import (
    staff_member_from_sso,
    staff_member_invite,
    staff_member_remove,
    staff_member_role_change,
)
from .tokens import (
    api_token_create,
    api_token_limits,
    api_token_revoke,
    api_tokens_company_drop,
    auth_token_issue,
    staff_token_create,
    staff_token_revoke,
)
from .two_factor import (
    OtpLocked,
    otp_verify,
    recovery_codes_renew,
    two_factor_begin,
    two_factor_confirm,
    two_factor_disable,
    two_factor_reset,
    two_factor_secrets_reencrypt,
)

__all__ = [
    "company_sso_required_set",
    "session_begin",
    "session_end",
    "session_end_current",
    "session_key_follow",
    "session_seen",
    "sessions_end_all",
    "sign_in_by_api",
    "sign_in_failed",
    "staff_member_from_sso",
    "user_create_without_password",
    "COMPANY_EDITABLE",
    "RegistrationOutcome",
    "account_deletion_check",
    "account_deletion_confirm",
    "account_deletion_request",
    "company_two_factor_require",
    "OtpLocked",
    "otp_verify",
    "recovery_codes_renew",
    "password_change",
    "password_reset_check",
    "password_reset_complete",
    "password_reset_request",
    "registration_create",
    "two_factor_begin",
    "two_factor_confirm",
    "two_factor_disable",
    "two_factor_reset",
    "two_factor_secrets_reencrypt",
    "access_request_dismiss",
    "access_request_invite",
    "api_token_create",
    "api_token_revoke",
    "auth_token_issue",
    "company_create",
    "company_customer_number_set",
    "company_update",
    "contact_person_handle",
    "invitation_accept",
    "invitation_check",
    "invitation_create",
    "invitation_withdraw",
    "member_add",
    "member_deprovision",
    "sessions_end",
    "api_token_limits",
    "api_tokens_company_drop",
    "member_remove",
    "member_role_change",
    "profile_update",
    "staff_member_invite",
    "staff_member_remove",
    "staff_member_role_change",
    "time_zone_check",
    "time_zone_names",
    "time_zone_set",
    "staff_token_create",
    "staff_token_revoke",
]
