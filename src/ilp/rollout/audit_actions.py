"""The actions rollout records in the audit log (`event_record(action=…)`). The values are
what is stored and what the API's event list shows: never change one. audit/labels.py
gives each its words (audit sits below the apps, so it keys them by value)."""

from enum import StrEnum


class AuditAction(StrEnum):
    ALD_TOKEN_GENERATED = "ald_token.generated"
    ALD_TOKEN_REGENERATED = "ald_token.regenerated"
    ALD_TOKEN_REVOKED = "ald_token.revoked"
    COMPANY_MERGED = "company.merged"
    LICENSE_DEMO_ISSUED = "license.demo_issued"
    LICENSE_EXCHANGED = "license.exchanged"
    LICENSE_ISSUED = "license.issued"
    LICENSE_LEASES_REFRESHED = "license.leases_refreshed"
    LICENSE_MOVED = "license.moved"
    LICENSE_RESIGNED = "license.resigned"
    LICENSE_RETURNED = "license.returned"
    LICENSE_REVOKED = "license.revoked"
    PACK_ASSIGNED = "pack.assigned"
    PACK_LICENSES_REVOKED = "pack.licenses_revoked"
    PACK_UNASSIGNED = "pack.unassigned"
    UMS_CREDENTIAL_ROTATED = "ums.credential_rotated"
    UMS_DELETED = "ums.deleted"
    UMS_REGISTERED = "ums.registered"
    UMS_UPDATED = "ums.updated"
