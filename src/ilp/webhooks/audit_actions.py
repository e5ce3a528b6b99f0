"""The actions webhooks records in the audit log (`event_record(action=…)`). The values are
what is stored and what the API's event list shows: never change one. audit/labels.py
gives each its words (audit sits below the apps, so it keys them by value)."""

from enum import StrEnum


class AuditAction(StrEnum):
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_DELETED = "webhook.deleted"
    WEBHOOK_DELIVERY_RETRIED = "webhook.delivery_retried"
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"
    WEBHOOK_TESTED = "webhook.tested"
    WEBHOOK_UPDATED = "webhook.updated"
