"""The actions sso records in the audit log (`event_record(action=…)`). The values are
what is stored and what the API's event list shows: never change one. audit/labels.py
gives each its words (audit sits below the apps, so it keys them by value)."""

from enum import StrEnum


class AuditAction(StrEnum):
    DOMAIN_ADDED = "domain.added"
    DOMAIN_REMOVED = "domain.removed"
    DOMAIN_VERIFIED = "domain.verified"
    MEMBER_JOINED_BY_SSO = "member.joined_by_sso"
    SSO_CONFIGURED = "sso.configured"
    SSO_REMOVED = "sso.removed"
