"""Every change to people and access, by subject. Each service runs in one transaction with
its audit event and its outbox mail. Views, the API, the admin and other apps import the
services from here."""

from .access_requests import access_request_dismiss, access_request_invite
from .companies import (
    COMPANY_EDITABLE,
    company_create,
    company_customer_number_set,
    company_update,
)
from .contact_person import contact_person_handle
from .invitations import (
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_withdraw,
)
from .members import member_add, member_remove, member_role_change
from .profile import profile_update
from .tokens import (
    api_token_create,
    api_token_revoke,
    auth_token_issue,
    staff_token_create,
    staff_token_revoke,
)

__all__ = [
    "COMPANY_EDITABLE",
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
    "member_remove",
    "member_role_change",
    "profile_update",
    "staff_token_create",
    "staff_token_revoke",
]
