"""Renewals (rules 6–8): apply a renewal order per product, and redeem a decreased one.

Which packs a renewal renews: the live packs of the product under the key whose expiry is
the product's current expiry there (the latest expiry among its live packs). Normally that
is every active pack; in a late renewal they have all just expired at that date and are
renewed all the same (backdated: the new expiry counts from the old one, not from today).
Packs left behind by an earlier decreased renewal expire earlier and are not renewed again.

Locks: the subscription key row first, then the renewal, then packs in primary-key order —
the same order in every operation, so concurrent renewals, redemptions, splits and merges
queue instead of deadlocking.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid

from .. import events
from ..audit_actions import AuditAction
from ..errors import OrderError, RenewalError
from ..models import Order, Product, ProductPack, Renewal, SubscriptionKey
from ..selectors import product_find, renewal_pending_exists
from .mail import company_mail
from .pack_ops import packs_lock
from .packs import add_months, pack_create
from .webhook_events import RENEWAL, packs_changed


@dataclass
class _Item:
    product: Product
    seats: int
    term_months: int


def _items_by_product(items: Iterable) -> list[_Item]:
    """Accept OrderItems or dicts; several items of one product add up (same term only)."""
    merged: dict[int, _Item] = {}
    for item in items:
        get = item.get if isinstance(item, dict) else lambda name, i=item: getattr(i, name)
        product = get("product")
        if not isinstance(product, Product):
            product = product_find(sku=str(product))
            if product is None:
                raise Invalid(
                    code=RenewalError.UNKNOWN_PRODUCT, message=_("Unknown product %s.") % product
                )
        seats, term = int(get("seats")), int(get("term_months"))
        if product.is_perpetual:
            raise Invalid(
                code=RenewalError.RENEWAL_PERPETUAL_PRODUCT,
                message=_("%s is perpetual and cannot be renewed.") % product.sku,
            )
        if product.pk in merged:
            if merged[product.pk].term_months != term:
                raise Invalid(
                    code=RenewalError.RENEWAL_TERMS_DIFFER,
                    message=_("Items of %s name different terms.") % product.sku,
                )
            merged[product.pk].seats += seats
        else:
            merged[product.pk] = _Item(product, seats, term)
    return list(merged.values())


def renewable_packs(*, subscription_key, product, locked: bool = False) -> list[ProductPack]:
    """The live packs a renewal of `product` under the key renews (see the module doc)."""
    qs = ProductPack.objects.filter(
        subscription_key=subscription_key, product=product, state=ProductPack.State.LIVE
    )
    if locked:
        live = packs_lock(qs.values_list("pk", flat=True))
    else:
        live = list(qs.order_by("pk"))
    latest = max((p.expires_on for p in live if p.expires_on), default=None)
    return [p for p in live if latest is not None and p.expires_on == latest]


def _renewal_figures(renewal: Renewal) -> dict:
    return {
        "order_number": renewal.order.order_number,
        "product": renewal.product.sku,
        "seats": renewal.seats,
        "old_expires_on": renewal.old_expires_on.isoformat(),
        "expires_on": renewal.expires_on.isoformat(),
        "status": renewal.status,
    }


def _key_extend(key: SubscriptionKey, expires_on: datetime.date) -> None:
    if key.expires_on is None or key.expires_on < expires_on:
        key.expires_on = expires_on
        key.save(update_fields=["expires_on"])


# --- applying a renewal order ----------------------------------------------------------------


@transaction.atomic
def renewal_order_apply(*, actor: Actor, order: Order, subscription_key, items):
    """Apply a renewal order's items to its subscription key, per product (rules 6–8).

    Called by `order_create` inside its transaction, after the Order and its OrderItems exist.
    Returns `(status, packs)`: status "fulfilled" or "awaiting_redemption", and the packs the
    order created or extended (API.md `product_packs`).
    """
    key = _renewal_key_lock(subscription_key, order)
    plan = _items_by_product(items)
    if not plan:
        raise Invalid(
            code=RenewalError.NO_ITEMS, message=_("A renewal order needs at least one item.")
        )
    touched: list[ProductPack] = []
    applied: list[Renewal] = []
    waiting: list[Renewal] = []
    for item in plan:
        _renewal_pending_refuse(key, item.product)
        packs = _renewal_packs_lock(key, item.product)
        renewal = _renewal_record(order=order, key=key, item=item, packs=packs)
        if renewal.status == Renewal.Status.APPLIED:
            applied.append(renewal)
            touched.extend(_renewal_extend(actor=actor, renewal=renewal, packs=packs))
        else:
            waiting.append(renewal)
        _renewal_audit(actor=actor, renewal=renewal, packs=packs)

    if touched:
        events.packs_extended.send(sender=ProductPack, actor=actor, packs=touched)
    _renewal_mails(key=key, order=order, applied=applied, waiting=waiting)
    status = "awaiting_redemption" if waiting else "fulfilled"
    return status, touched


def _renewal_key_lock(subscription_key: SubscriptionKey, order: Order) -> SubscriptionKey:
    """Lock the key (first in every renewal's lock order); it must be the order's company's."""
    key = SubscriptionKey.objects.select_for_update().get(pk=subscription_key.pk)
    if key.company_id != order.company_id:
        raise Invalid(
            code=OrderError.SUBSCRIPTION_KEY_MISMATCH,
            message=_("Subscription key %s does not belong to this customer.") % key.key,
        )
    return key


def _renewal_pending_refuse(key: SubscriptionKey, product: Product) -> None:
    """One decreased renewal per key and product at a time: 409 while one awaits redemption."""
    if renewal_pending_exists(subscription_key=key, product=product):
        raise Conflict(
            code=RenewalError.RENEWAL_PENDING,
            message=_(
                "A renewal of %(product)s under %(key)s still waits for redemption; "
                "it must be redeemed before the next one."
            )
            % {"product": product.sku, "key": key.key},
        )


def _renewal_packs_lock(key: SubscriptionKey, product: Product) -> list[ProductPack]:
    """The packs this renewal renews, locked; 422 when the key holds none of the product."""
    packs = renewable_packs(subscription_key=key, product=product, locked=True)
    if not packs:
        raise Invalid(
            code=RenewalError.PRODUCT_NOT_ON_KEY,
            message=_("Subscription key %(key)s holds no %(product)s packs to renew.")
            % {"key": key.key, "product": product.sku},
        )
    return packs


def _renewal_record(
    *, order: Order, key: SubscriptionKey, item: _Item, packs: list[ProductPack]
) -> Renewal:
    """Save the product's Renewal: applied at once, unless it renews fewer seats than the
    packs hold — then the customer picks the packs to keep (rule 8)."""
    old_expiry = packs[0].expires_on
    decreased = item.seats < sum(p.seats for p in packs)
    return Renewal.objects.create(
        order=order,
        subscription_key=key,
        company_id=key.company_id,
        product=item.product,
        seats=item.seats,
        term_months=item.term_months,
        old_expires_on=old_expiry,
        expires_on=add_months(old_expiry, item.term_months),
        status=Renewal.Status.AWAITING_REDEMPTION if decreased else Renewal.Status.APPLIED,
    )


def _renewal_extend(
    *, actor: Actor, renewal: Renewal, packs: list[ProductPack]
) -> list[ProductPack]:
    """An applied renewal: the packs get the new expiry, extra seats a new pack (rule 7),
    which the order's caller assigns like any new pack of the order (`order.packs_new`).
    Returns the packs extended or created."""
    key = renewal.subscription_key
    for p in packs:
        p.expires_on = renewal.expires_on
        p.save(update_fields=["expires_on"])
    touched = list(packs)
    extra_seats = renewal.seats - sum(p.seats for p in packs)
    if extra_seats > 0:
        extra = pack_create(
            key=key,
            product=renewal.product,
            seats=extra_seats,
            # The renewed packs' start, so that the customer can merge it later
            # (rule 10 asks for equal dates); it is active from now on anyway.
            starts_on=min(p.starts_on for p in packs),
            ends=renewal.expires_on,
            order=renewal.order,
        )
        touched.append(extra)
    _key_extend(key, renewal.expires_on)
    return touched


def _renewal_audit(*, actor: Actor, renewal: Renewal, packs: list[ProductPack]) -> None:
    event_record(
        actor=actor,
        company=renewal.subscription_key.company,
        action=AuditAction(f"renewal.{renewal.status}"),
        obj_type="renewal",
        obj_id=f"{renewal.order.order_number}/{renewal.product.sku}",
        before={
            "seats": sum(p.seats for p in packs),
            "expires_on": renewal.old_expires_on.isoformat(),
        },
        after=_renewal_figures(renewal),
    )


def _renewal_mails(
    *, key: SubscriptionKey, order: Order, applied: list[Renewal], waiting: list[Renewal]
) -> None:
    """One mail for what was applied, one asking to redeem what waits."""
    for template, renewals in (("renewal_applied", applied), ("renewal_awaiting", waiting)):
        if renewals:
            company_mail(
                company=key.company,
                template=template,
                context={"key": key, "order": order, "renewals": renewals},
            )


# --- redeeming a decreased renewal ---------------------------------------------------------


@transaction.atomic
def renewal_redeem(*, actor: Actor, renewal: Renewal, packs: Sequence[ProductPack]) -> list:
    """Redeem a decreased renewal (rule 8): the picked whole packs get the new expiry.

    Their seats must add up exactly to the renewed seats; the packs not picked keep the old
    expiry and run out. Returns the picked packs.
    """
    renewal = _redeem_renewal_lock(renewal)
    picked = _redeem_packs_lock(renewal, packs)
    for p in picked:
        p.expires_on = renewal.expires_on
        p.save(update_fields=["expires_on"])
    events.packs_extended.send(sender=ProductPack, actor=actor, packs=picked)
    renewal.status = Renewal.Status.REDEEMED
    renewal.redeemed_at = timezone.now()
    renewal.redeemed_packs = [p.pack_id for p in picked]
    renewal.save(update_fields=["status", "redeemed_at", "redeemed_packs"])
    _key_extend(renewal.subscription_key, renewal.expires_on)
    order_status = _order_status_settle(renewal.order)
    event_record(
        actor=actor,
        company=renewal.company,
        action=AuditAction.RENEWAL_REDEEMED,
        obj_type="renewal",
        obj_id=f"{renewal.order.order_number}/{renewal.product.sku}",
        before={"status": Renewal.Status.AWAITING_REDEMPTION},
        after={
            **_renewal_figures(renewal),
            "product_packs": renewal.redeemed_packs,
            "order_status": order_status,
        },
    )
    packs_changed(company_id=renewal.company_id, packs=picked, change=RENEWAL)
    company_mail(
        company=renewal.company,
        template="renewal_applied",
        context={"key": renewal.subscription_key, "order": renewal.order, "renewals": [renewal]},
    )
    return picked


def _order_status_settle(order: Order) -> str:
    """The order is `fulfilled` once none of its renewals waits for redemption any more.

    Redemptions of one order's renewals all lock its key first, so two of them cannot both
    see the other still waiting.
    """
    if not Renewal.objects.filter(order=order, status=Renewal.Status.AWAITING_REDEMPTION).exists():
        order.status = "fulfilled"
        Order.objects.filter(pk=order.pk).update(status=order.status)
    return order.status


def _redeem_renewal_lock(renewal: Renewal) -> Renewal:
    """Lock the key, then the renewal (the module's lock order); 409 unless it still waits."""
    SubscriptionKey.objects.select_for_update().filter(pk=renewal.subscription_key_id).first()
    renewal = (
        Renewal.objects.select_for_update()
        .select_related("order", "product", "subscription_key", "company")
        .get(pk=renewal.pk)
    )
    if renewal.status == Renewal.Status.REDEEMED:
        raise Conflict(
            code=RenewalError.RENEWAL_ALREADY_REDEEMED,
            message=_("The renewal %(order)s of %(product)s was already redeemed.")
            % {"order": renewal.order.order_number, "product": renewal.product.sku},
        )
    if renewal.status != Renewal.Status.AWAITING_REDEMPTION:
        raise Conflict(
            code=RenewalError.RENEWAL_NOT_AWAITING,
            message=_("The renewal %(order)s of %(product)s was applied and needs no redemption.")
            % {"order": renewal.order.order_number, "product": renewal.product.sku},
        )
    return renewal


def _redeem_packs_lock(renewal: Renewal, packs: Sequence[ProductPack]) -> list[ProductPack]:
    """Lock the picked packs; each must be a candidate, and their seats the renewed seats."""
    pks = list(dict.fromkeys(p.pk for p in packs))
    if not pks:
        raise Invalid(
            code=RenewalError.NO_PACKS_PICKED,
            message=_("Pick the packs to keep for this renewal."),
        )
    picked = packs_lock(pks)
    for p in picked:
        if (
            p.subscription_key_id != renewal.subscription_key_id
            or p.product_id != renewal.product_id
            or p.state != ProductPack.State.LIVE
            or p.expires_on != renewal.old_expires_on
        ):
            raise Invalid(
                code=RenewalError.PACK_NOT_RENEWABLE,
                message=_(
                    "Pack %(pack)s is not one of the %(product)s packs of %(key)s that expire "
                    "on %(date)s, so this renewal cannot keep it."
                )
                % {
                    "pack": p.pack_id,
                    "product": renewal.product.sku,
                    "key": renewal.subscription_key.key,
                    "date": renewal.old_expires_on.isoformat(),
                },
            )
    total = sum(p.seats for p in picked)
    if total != renewal.seats:
        raise Invalid(
            code=RenewalError.SEATS_NOT_CONSERVED,
            message=_(
                "The picked packs hold %(total)s seats; the renewal is for exactly "
                "%(seats)s. Pick other packs, or split one to fit."
            )
            % {"total": total, "seats": renewal.seats},
        )
    return picked
