"""Renewals (rules 6–8). Placeholder until the renewals work lands: the interface is fixed."""

from ilp.core.errors import Invalid


def renewal_order_apply(*, actor, order, subscription_key, items):
    """Apply a renewal order's items to its subscription key, per product.

    Called by `order_create` inside its transaction, after the Order and its OrderItems exist.
    Returns `(status, packs)`: status "fulfilled" or "awaiting_redemption", and the packs the
    order created or extended (API.md `product_packs`).
    """
    raise Invalid("Renewal orders are not supported yet.", code="renewal_not_supported")
