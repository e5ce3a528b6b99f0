"""The stable error codes licensing answers with, one `StrEnum` per domain area.

A code is part of the API (`code` and `type` of every problem+json body): it never changes
its meaning once published. Each member's value is its name in lower case; the comment says
the HTTP status it is raised with.
"""

from enum import StrEnum


class OrderError(StrEnum):
    """The ERP feed (`POST /orders`), order items and order look-ups."""

    ORDER_NUMBER_REQUIRED = "order_number_required"  # 422 (was the generic "invalid")
    INVALID_KIND = "invalid_kind"  # 422
    INVALID_INVOICE_DATE = "invalid_invoice_date"  # 422
    INVALID_ITEMS = "invalid_items"  # 422, with `errors` per item
    UNKNOWN_GAID = "unknown_gaid"  # 422
    END_CUSTOMER_NAME_REQUIRED = "end_customer_name_required"  # 422
    INVALID_COUNTRY = "invalid_country"  # 422
    SUBSCRIPTION_KEY_REQUIRED = "subscription_key_required"  # 422: a renewal names its key
    SUBSCRIPTION_KEY_NOT_ON_COMPANY = "subscription_key_not_on_company"  # 422: add-on, another's
    UNKNOWN_SUBSCRIPTION_KEY = "unknown_subscription_key"  # 422
    SUBSCRIPTION_KEY_MISMATCH = "subscription_key_mismatch"  # 422: key of another customer
    ORDER_CONFLICT = "order_conflict"  # 409: order number replayed with another body
    ORDER_IN_PROGRESS = "order_in_progress"  # 409
    ORDER_NOT_FOUND = "order_not_found"  # 404


class PackError(StrEnum):
    """Product packs and subscription keys: look-ups, edits, split, merge, the seat ledger."""

    PACK_NOT_FOUND = "pack_not_found"  # 404
    SUBSCRIPTION_KEY_NOT_FOUND = "subscription_key_not_found"  # 404
    INVALID_STATUS = "invalid_status"  # 422: unknown status filter
    COMMENT_TOO_LONG = "comment_too_long"  # 422
    PACK_MERGED = "pack_merged"  # 409: a merged pack cannot be archived
    PACK_IN_USE = "pack_in_use"  # 409: an active pack with used seats cannot be archived
    NO_FREE_SEAT = "no_free_seat"  # 409
    PACK_NOT_SPLITTABLE = "pack_not_splittable"  # 409
    INVALID_UNIT_ID = "invalid_unit_id"  # 422
    INVALID_SEATS = "invalid_seats"  # 422
    SEATS_NOT_MULTIPLE = "seats_not_multiple"  # 422
    SPLIT_TOO_LARGE = "split_too_large"  # 422
    SEATS_IN_USE = "seats_in_use"  # 422
    MERGE_NEEDS_TWO_PACKS = "merge_needs_two_packs"  # 422
    PACK_NOT_MERGEABLE = "pack_not_mergeable"  # 409


class RenewalError(StrEnum):
    """Applying renewal orders and redeeming decreased renewals (rules 6–8)."""

    RENEWAL_NOT_FOUND = "renewal_not_found"  # 404
    NO_ITEMS = "no_items"  # 422
    UNKNOWN_PRODUCT = "unknown_product"  # 422
    RENEWAL_PERPETUAL_PRODUCT = "renewal_perpetual_product"  # 422
    RENEWAL_TERMS_DIFFER = "renewal_terms_differ"  # 422
    PRODUCT_NOT_ON_KEY = "product_not_on_key"  # 422: the key holds no live pack to renew
    RENEWAL_PENDING = "renewal_pending"  # 409
    RENEWAL_ALREADY_REDEEMED = "renewal_already_redeemed"  # 409
    RENEWAL_NOT_AWAITING = "renewal_not_awaiting"  # 409
    NO_PACKS_PICKED = "no_packs_picked"  # 422
    PACKS_MIXED_PRODUCTS = "packs_mixed_products"  # 422
    # A picked pack is not one the renewal may keep: another key or product, not live, or
    # not expiring on the renewal's old expiry.
    PACK_NOT_RENEWABLE = "pack_not_renewable"  # 422
    # The order renews no such product (the request's `product`, or that of the picked packs).
    PRODUCT_NOT_RENEWED = "product_not_renewed"  # 422
    SEATS_NOT_CONSERVED = "seats_not_conserved"  # 422


class DeliveryTokenError(StrEnum):
    """Legacy delivery tokens."""

    DELIVERY_TOKEN_NOT_FOUND = "delivery_token_not_found"  # 404
    DELIVERY_TOKEN_USED = "delivery_token_used"  # 409


class EulaError(StrEnum):
    """Accepting EULAs (rule 20)."""

    # 422: registering a delivery token without `accept_eula: true` (the portal's tick).
    EULA_NOT_ACCEPTED = "eula_not_accepted"
    EULA_UNAVAILABLE = "eula_unavailable"  # 409: no version of the EULA is in force
    # 409: the request named the version it accepts, and another one is in force by now.
    EULA_VERSION_OUTDATED = "eula_version_outdated"


class CorrectionError(StrEnum):
    """Vendor staff corrections of orders and keys (rule 26)."""

    REASON_REQUIRED = "reason_required"  # 422: a correction states why (rule 25)
    SEATS_IN_USE = "seats_in_use"  # 409, with `unit_ids`: the devices in the way of a cancel
    PACK_NOT_ON_ORDER = "pack_not_on_order"  # 422: a cancel names a pack the order did not make
    CANCEL_TOO_MANY = "cancel_too_many"  # 422: more seats than the pack still holds
    NOTHING_TO_CANCEL = "nothing_to_cancel"  # 409: every seat of the order is taken back
    TRANSFER_SAME_COMPANY = "transfer_same_company"  # 422: the key is there already
    UNKNOWN_GAID = "unknown_gaid"  # 422: `to_gaid` names no company


class CatalogueError(StrEnum):
    """The catalogue staff maintain: products and EULA versions (rule 25)."""

    PRODUCT_NOT_FOUND = "product_not_found"  # 404
    PRODUCT_EXISTS = "product_exists"  # 409: the SKU is taken
    PACK_PREFIX_TAKEN = "pack_prefix_taken"  # 409: another product's packs start so
    EULA_VERSION_EXISTS = "eula_version_exists"  # 409: that version of the EULA exists
    INVALID_CATALOGUE_VALUE = "invalid_catalogue_value"  # 422
