"""Vendor staff corrections, licensing's side (rule 26): an order's seats taken back, a
subscription key moved to another company, a merged company's keys, packs and orders moved.

Rollout orchestrates each (`rollout.services.corrections`): it locks through the functions
here, returns or revokes the device licenses in the way, then calls the seat and ownership
changes here — one transaction. Every event names the staff member's reason.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ilp.accounts.selectors import administrators_of
from ilp.accounts.services.contact_person import contact_mail_resend
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.notifications.services import mail_about

from ..audit_actions import AuditAction
from ..errors import CorrectionError, OrderError, PackError, RenewalError
from ..models import (
    DeliveryToken,
    Order,
    ProductPack,
    Renewal,
    SeatSnapshot,
    SubscriptionKey,
)
from ..selectors.packs import subscription_key_normalize
from .mail import company_mail
from .pack_ops import packs_lock
from .seats import seats_cancel

# Packs whose seats an order can still take back: not merged (their seats live on in the
# target) and not cancelled already.
CANCELLABLE = (ProductPack.State.LIVE, ProductPack.State.ARCHIVED)


# What counts as a blank reason: the same six characters as the API schema's `pattern`
# (`REASON_PATTERN`), so that the schema and the service agree on every input.
REASON_BLANKS = " \t\n\r\x0b\x0c"
REASON_PATTERN = "[^ \\t\\n\\r\\x0b\\x0c]"


def reason_check(reason: str | None) -> str:
    """Every correction states why (rule 25): 422 `reason_required` for none or blanks."""
    text = (reason or "").strip(REASON_BLANKS)
    if not text:
        message = _("Say why: a reason is required.")
        raise Invalid(
            message,
            code=CorrectionError.REASON_REQUIRED,
            errors=[{"loc": ["body", "reason"], "msg": message}],
        )
    return text[:500]


@dataclass
class SeatTake:
    """Seats to take back from one locked pack."""

    pack: ProductPack
    seats: int


def order_lock(*, order_number: str) -> Order:
    """Lock an order by number (any company): 404 `order_not_found`. Taken before its packs."""
    order = (
        Order.objects.select_for_update(no_key=True)
        .select_related("company")
        .filter(order_number=(order_number or "").strip())
        .first()
    )
    if order is None:
        raise NotFound(_("No order %(n)s.") % {"n": order_number}, code=OrderError.ORDER_NOT_FOUND)
    return order


def order_cancel_plan(
    *, order: Order, items: Sequence[tuple[str, int]] | None = None
) -> list[SeatTake]:
    """Lock the packs the order delivered (those it created, and packs split from them, which
    carry the order) and say how many seats each gives back: every seat, or `items` as
    (pack ID, seats). 422 `pack_not_on_order`, `cancel_too_many`, `seats_not_multiple`;
    409 `nothing_to_cancel` when the order has no seat left to take back."""
    packs = [p for p in _order_packs_lock(order) if p.state in CANCELLABLE]
    if items is None:
        takes = [SeatTake(pack=p, seats=p.seats) for p in packs]
    else:
        by_id = {p.pack_id: p for p in packs}
        wanted: dict[str, int] = {}
        for i, (pack_id, seats) in enumerate(items):
            key = (pack_id or "").strip().upper()
            if key not in by_id:
                message = _("Order %(order)s holds no pack %(pack)s with seats to take back.") % {
                    "order": order.order_number,
                    "pack": pack_id,
                }
                raise Invalid(
                    message,
                    code=CorrectionError.PACK_NOT_ON_ORDER,
                    errors=[{"loc": ["body", "items", i, "pack_id"], "msg": message}],
                )
            wanted[key] = wanted.get(key, 0) + seats
        takes = [SeatTake(pack=by_id[k], seats=n) for k, n in wanted.items()]
        takes.sort(key=lambda t: t.pack.pk)
        for take in takes:
            _take_check(take)
    takes = [t for t in takes if t.seats > 0]
    if not takes:
        raise Conflict(
            _("Order %(n)s has no seats left to take back.") % {"n": order.order_number},
            code=CorrectionError.NOTHING_TO_CANCEL,
        )
    return takes


def _order_packs_lock(order: Order) -> list[ProductPack]:
    """Lock the order's cancellable packs; a split that committed while we waited for its
    source made one more, which is locked too (its primary key is higher: still in order)."""
    locked: list[ProductPack] = []
    for _round in range(5):
        pks = set(
            ProductPack.objects.filter(order=order, state__in=CANCELLABLE).values_list(
                "pk", flat=True
            )
        ) - {p.pk for p in locked}
        if not pks:
            break
        locked += packs_lock(pks, related=True, no_key=True)
    return sorted(locked, key=lambda p: p.pk)


def _take_check(take: SeatTake) -> None:
    pack, seats = take.pack, take.seats
    if seats > pack.seats:
        raise Invalid(
            _("Pack %(pack)s holds only %(seats)d seats.")
            % {"pack": pack.pack_id, "seats": pack.seats},
            code=CorrectionError.CANCEL_TOO_MANY,
        )
    multiple = pack.product.seat_multiple
    if seats % multiple:
        raise Invalid(
            _("Seats of %(product)s are taken back in multiples of %(multiple)d.")
            % {"product": pack.product.sku, "multiple": multiple},
            code=PackError.SEATS_NOT_MULTIPLE,
        )


def order_seats_cancel(
    *,
    actor: Actor,
    order: Order,
    takes: Sequence[SeatTake],
    reason: str,
    returned: Sequence[dict] = (),
) -> list[ProductPack]:
    """Take the planned seats back (the caller freed those in use) and settle the order's
    status: `cancelled` once none of its packs holds a seat, else `partly_cancelled`. Each
    pack and the order get an event in the customer's audit log with the reason; the
    company's administrators get a mail. Returns the changed packs."""
    for take in takes:
        pack = take.pack
        before = {"seats": pack.seats, "seats_used": pack.seats_used, "state": pack.state}
        seats_cancel(pack=pack, count=take.seats)
        event_record(
            actor=actor,
            company=pack.company,
            action=AuditAction.PACK_CANCELLED,
            obj_type="product_pack",
            obj_id=pack.pack_id,
            before=before,
            after={
                "seats": pack.seats,
                "seats_used": pack.seats_used,
                "state": pack.state,
                "seats_taken_back": take.seats,
                "order_number": order.order_number,
            },
        )
    left = ProductPack.objects.filter(order=order, state__in=CANCELLABLE).exists()
    before_status = order.status
    order.status = "partly_cancelled" if left else "cancelled"
    order.save(update_fields=["status"])
    packs = [t.pack for t in takes]
    event_record(
        actor=actor,
        company=order.company,
        action=AuditAction.ORDER_CANCELLED if not left else AuditAction.ORDER_PARTLY_CANCELLED,
        obj_type="order",
        obj_id=order.order_number,
        before={"status": before_status},
        after={
            "status": order.status,
            "product_packs": [{"id": t.pack.pack_id, "seats_taken_back": t.seats} for t in takes],
            "returned": list(returned),
        },
    )
    with mail_about(f"order:{order.order_number}"):  # listed on the staff's order page
        company_mail(
            company=order.company,
            template="seats_cancelled",
            context={
                "order": order,
                "takes": takes,
                "returned": list(returned),
                "reason": reason,
                "base_url": settings.ILP_BASE_URL,
            },
            recipients=administrators_of(company=order.company),
        )
    return packs


# --- a subscription key moved to another company -------------------------------------------


def key_transfer_lock(*, key: str) -> tuple[SubscriptionKey, list[ProductPack]]:
    """Lock a subscription key (any company) and then its packs: 404
    `subscription_key_not_found`; 409 `renewal_pending` while a renewal of it awaits
    redemption (the picking belongs to the company that bought the renewal)."""
    normal = subscription_key_normalize(key or "")
    found = (
        SubscriptionKey.objects.select_for_update(no_key=True)
        .select_related("company")
        .filter(key=normal)
        .first()
    )
    if found is None:
        raise NotFound(
            _("No subscription key %s.") % key, code=PackError.SUBSCRIPTION_KEY_NOT_FOUND
        )
    waiting = Renewal.objects.filter(
        subscription_key=found, status=Renewal.Status.AWAITING_REDEMPTION
    ).values_list("order__order_number", flat=True)
    if waiting:
        raise Conflict(
            _("A renewal of %(key)s awaits redemption (order %(orders)s). Redeem it first.")
            % {"key": found.key, "orders": ", ".join(waiting)},
            code=RenewalError.RENEWAL_PENDING,
        )
    pks = ProductPack.objects.filter(subscription_key=found).values_list("pk", flat=True)
    return found, packs_lock(list(pks), related=True, no_key=True)


def key_company_move(
    *, actor: Actor, key: SubscriptionKey, to_company, reason: str, revoked: int = 0
) -> None:
    """Move a locked key with its packs, orders, renewals and delivery tokens to
    `to_company` (the caller ended their assignments and licenses first). Both companies'
    audit logs record it with the reason; both companies' administrators get a mail."""
    from_company = key.company
    if from_company.pk == to_company.pk:
        raise Invalid(
            _("%(key)s already belongs to %(company)s.")
            % {"key": key.key, "company": to_company.gaid},
            code=CorrectionError.TRANSFER_SAME_COMPANY,
        )
    key.company = to_company
    key.save(update_fields=["company"])
    packs = list(ProductPack.objects.filter(subscription_key=key).order_by("pk"))
    ProductPack.objects.filter(subscription_key=key).update(company=to_company)
    orders = list(Order.objects.filter(subscription_key=key).values_list("order_number", flat=True))
    Order.objects.filter(subscription_key=key).update(company=to_company)
    Renewal.objects.filter(subscription_key=key).update(company=to_company)
    DeliveryToken.objects.filter(subscription_key=key).update(company=to_company)
    figures = {
        "subscription_key": key.key,
        "from_gaid": from_company.gaid,
        "to_gaid": to_company.gaid,
        "product_packs": [p.pack_id for p in packs],
        "orders": orders,
        "revoked_licenses": revoked,
    }
    for company, action in (
        (from_company, AuditAction.KEY_TRANSFERRED_OUT),
        (to_company, AuditAction.KEY_TRANSFERRED_IN),
    ):
        event_record(
            actor=actor,
            company=company,
            action=action,
            obj_type="subscription_key",
            obj_id=key.key,
            after=figures,
        )
        company_mail(
            company=company,
            template="key_transferred",
            context={
                "key": key,
                "packs": packs,
                "from_company": from_company,
                "to_company": to_company,
                "outgoing": company.pk == from_company.pk,
                "revoked": revoked,
                "reason": reason,
                "base_url": settings.ILP_BASE_URL,
            },
            recipients=administrators_of(company=company),
        )


# --- a company merged into another ---------------------------------------------------------


def company_packs_lock(*, companies: Sequence) -> list[ProductPack]:
    """Lock every pack of these companies, in primary-key order (a merge holds them while it
    checks and moves, so no seat is claimed in between)."""
    pks = ProductPack.objects.filter(company__in=list(companies)).values_list("pk", flat=True)
    return packs_lock(list(pks), no_key=True)


def company_licensing_move(*, source, target) -> dict:
    """Move a merged company's keys, packs, orders, renewals and delivery tokens to the
    target; its daily seat figures join the target's (added up on days both have). The
    caller (rollout's `company_merge`) holds the locks and writes the audit event."""
    moved = {
        "subscription_keys": SubscriptionKey.objects.filter(company=source).update(company=target),
        "product_packs": ProductPack.objects.filter(company=source).update(company=target),
        "orders": Order.objects.filter(company=source).update(company=target),
    }
    Renewal.objects.filter(company=source).update(company=target)
    DeliveryToken.objects.filter(company=source).update(company=target)
    theirs = {(s.product_id, s.date): s for s in SeatSnapshot.objects.filter(company=target)}
    for snap in SeatSnapshot.objects.filter(company=source):
        same_day = theirs.get((snap.product_id, snap.date))
        if same_day is not None:
            SeatSnapshot.objects.filter(pk=same_day.pk).update(
                seats=F("seats") + snap.seats, seats_used=F("seats_used") + snap.seats_used
            )
            snap.delete()
    SeatSnapshot.objects.filter(company=source).update(company=target)
    return moved


# --- an order's contact mail sent again ---------------------------------------------------


@transaction.atomic
def order_contact_mail_resend(*, actor: Actor, order_number: str, reason: str) -> str:
    """Send the order's contact mail again (accounts decides which, `contact_mail_resend`);
    the customer's audit log records it with the reason. Returns the mail's kind."""
    actor = actor.with_reason(reason_check(reason))
    order = order_lock(order_number=order_number)
    with mail_about(f"order:{order.order_number}"):  # listed on the staff's order page
        sent = contact_mail_resend(
            actor=actor,
            company=order.company,
            contact=order.contact,
            order_number=order.order_number,
            outcome=order.contact_outcome,
        )
    event_record(
        actor=actor,
        company=order.company,
        action=AuditAction.ORDER_CONTACT_MAIL_RESENT,
        obj_type="order",
        obj_id=order.order_number,
        after={"mail": sent},
    )
    return sent
