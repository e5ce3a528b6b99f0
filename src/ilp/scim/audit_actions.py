"""The actions scim records in the audit log (`event_record(action=…)`). The values are
what is stored and what the API's event list shows: never change one. audit/labels.py
gives each its words (audit sits below the apps, so it keys them by value)."""

from enum import StrEnum


class AuditAction(StrEnum):
    SCIM_TOKEN_CREATED = "scim_token.created"
    SCIM_TOKEN_REVOKED = "scim_token.revoked"
    SCIM_USER_DEACTIVATED = "scim_user.deactivated"
    SCIM_USER_DELETED = "scim_user.deleted"
