"""The actions licensing records in the audit log (`event_record(action=…)`). The values are
what is stored and what the API's event list shows: never change one. audit/labels.py
gives each its words (audit sits below the apps, so it keys them by value)."""

from enum import StrEnum


class AuditAction(StrEnum):
    DELIVERY_TOKEN_ISSUED = "delivery_token.issued"
    DELIVERY_TOKEN_REGISTERED = "delivery_token.registered"
    EULA_ACCEPTED = "eula.accepted"
    EULA_PUBLISHED = "eula.published"
    KEY_TRANSFERRED_IN = "key.transferred_in"
    KEY_TRANSFERRED_OUT = "key.transferred_out"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_CONTACT_MAIL_RESENT = "order.contact_mail_resent"
    ORDER_PARTLY_CANCELLED = "order.partly_cancelled"
    ORDER_RECEIVED = "order.received"
    PACK_ARCHIVED = "pack.archived"
    PACK_CANCELLED = "pack.cancelled"
    PACK_EXPIRY_REMINDER = "pack.expiry_reminder"
    PACK_MERGE = "pack.merge"
    PACK_SPLIT = "pack.split"
    PACK_UNARCHIVED = "pack.unarchived"
    PACK_UPDATED = "pack.updated"
    PRODUCT_CHANGED = "product.changed"
    PRODUCT_CREATED = "product.created"
    RENEWAL_APPLIED = "renewal.applied"
    RENEWAL_AWAITING_REDEMPTION = "renewal.awaiting_redemption"
    RENEWAL_REDEEMED = "renewal.redeemed"
