"""Product packs: creating them for a new subscription key, and the customer's edits
(comment, archive). Split, merge and renewals live in their own modules."""

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.bounds import MAX_SEATS, MAX_TERM_MONTHS
from ilp.core.bulk import objects_insert_fresh
from ilp.core.errors import Conflict, Invalid
from ilp.core.ids import crockford

from ..audit_actions import AuditAction
from ..errors import OrderError, PackError
from ..models import Product, ProductPack, SubscriptionKey
from ..selectors import product_map


@dataclass(frozen=True)
class ItemSpec:
    """One validated order item: `seats` of `product` for `term_months` months."""

    product: Product
    seats: int
    term_months: int


def add_months(start: datetime.date, months: int) -> datetime.date:
    """`start` plus calendar months; a day the target month lacks clamps to its last day
    (2026-01-31 + 1 → 2026-02-28), as subscription terms are counted in months."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return datetime.date(year, month, day)


def items_validate(items: Sequence[dict], *, loc: Sequence = ("body", "items")) -> list[ItemSpec]:
    """Check raw items `{"product", "seats", "term_months"}` against the catalogue.

    Collects every problem (unknown product, seats < 1, seats not a multiple of the product's
    seat_multiple, term_months < 1 for subscriptions) and raises one 422 with `errors`.
    """
    products = product_map(skus={str(item.get("product", "")).strip().upper() for item in items})
    errors: list[dict] = []
    specs: list[ItemSpec] = []
    if not items:
        errors.append({"loc": [*loc], "msg": _("An order needs at least one item.")})
    for index, item in enumerate(items):
        where = [*loc, index]
        sku = str(item.get("product", "")).strip().upper()
        product = products.get(sku)
        seats = item.get("seats")
        term = item.get("term_months")
        if product is None:
            errors.append(
                {
                    "loc": [*where, "product"],
                    "msg": _("Unknown product %(sku)s.") % {"sku": item.get("product")},
                }
            )
        if not isinstance(seats, int) or isinstance(seats, bool) or seats < 1:
            errors.append({"loc": [*where, "seats"], "msg": _("Seats must be at least 1.")})
        elif seats > MAX_SEATS:
            errors.append(
                {
                    "loc": [*where, "seats"],
                    "msg": _("At most %(n)s seats per item.") % {"n": MAX_SEATS},
                }
            )
        elif product is not None and seats % product.seat_multiple:
            errors.append(
                {
                    "loc": [*where, "seats"],
                    "msg": _("%(sku)s is sold in multiples of %(n)s seats.")
                    % {"sku": product.sku, "n": product.seat_multiple},
                }
            )
        if term is None and product is not None and product.is_perpetual:
            term = 0
        if not isinstance(term, int) or isinstance(term, bool) or not 0 <= term <= MAX_TERM_MONTHS:
            errors.append(
                {"loc": [*where, "term_months"], "msg": _("Term must be a number of months.")}
            )
        elif product is not None and not product.is_perpetual and term < 1:
            errors.append(
                {
                    "loc": [*where, "term_months"],
                    "msg": _("A subscription needs a term of at least one month."),
                }
            )
        if product is not None and not errors:
            specs.append(ItemSpec(product=product, seats=seats, term_months=term))
    if errors:
        raise Invalid(
            _("Some order items are invalid."), code=OrderError.INVALID_ITEMS, errors=errors
        )
    return specs


def invoice_date_check(invoice_date: datetime.date, *, loc=("body", "invoice_date")) -> None:
    """Invoice dates are real dates of sales: 1990 to 2199 (also keeps date sums in range)."""
    if not datetime.date(1990, 1, 1) <= invoice_date <= datetime.date(2199, 12, 31):
        raise Invalid(
            _("The invoice date is out of range."),
            code=OrderError.INVALID_INVOICE_DATE,
            errors=[{"loc": [*loc], "msg": _("A date between 1990 and 2199.")}],
        )


def _new_pack_id(prefix: str) -> str:
    return f"{prefix}-{crockford(5)}"


def _new_key() -> str:
    return f"SK-{crockford(4)}-{crockford(4)}-{crockford(4)}"


def _packs_insert(packs: list[ProductPack]) -> list[ProductPack]:
    """Insert new packs in one statement; a pack whose random ID is taken draws another.
    Rows holding pack IDs are never deleted, so an ID is never reused either."""
    return objects_insert_fresh(
        packs, key="pack_id", redraw=lambda pack: _new_pack_id(pack.product.pack_prefix)
    )


def subscription_key_create(
    *, company, starts_on: datetime.date, items: Sequence[ItemSpec], order=None
):
    """Create a subscription key holding one pack per item (rule 2); the caller owns the
    transaction, the audit event and the mail. Returns `(key, packs)`.

    The key and its packs are two statements; a random key or pack ID that is taken already
    is drawn again (ON CONFLICT DO NOTHING, no savepoint)."""
    dated = [end for spec in items if (end := _item_end(spec, starts_on)) is not None]
    # The key expires with its latest pack, as packs_add would set it.
    key = SubscriptionKey(key=_new_key(), company=company, expires_on=max(dated) if dated else None)
    objects_insert_fresh([key], key="key", redraw=lambda _key: _new_key())
    packs = _packs_insert(_packs_new(key=key, starts_on=starts_on, items=items, order=order))
    return key, packs


def packs_add(
    *, key: SubscriptionKey, starts_on: datetime.date, items: Sequence[ItemSpec], order=None
) -> list[ProductPack]:
    """One pack per item under an existing `key` (rule 2: from `starts_on`, `term_months`
    later); the key's expiry becomes the latest of its dated packs. For an add-on order (rule
    19, the caller holds the key's row lock); a new key gets its packs in
    `subscription_key_create`."""
    # One insert for all of them; should a random pack ID be taken, all are drawn again.
    packs = _packs_insert(_packs_new(key=key, starts_on=starts_on, items=items, order=order))
    latest = max((p.expires_on for p in packs if p.expires_on), default=None)
    if latest is not None and (key.expires_on is None or key.expires_on < latest):
        key.expires_on = latest
        key.save(update_fields=["expires_on"])
    return packs


def _packs_new(
    *, key: SubscriptionKey, starts_on: datetime.date, items: Sequence[ItemSpec], order=None
) -> list[ProductPack]:
    """Unsaved packs, one per item, each with a new random ID."""
    return [
        _pack_new(
            key=key,
            product=spec.product,
            seats=spec.seats,
            starts_on=starts_on,
            ends=_item_end(spec, starts_on),
            order=order,
        )
        for spec in items
    ]


def _item_end(spec: ItemSpec, starts_on: datetime.date) -> datetime.date | None:
    """When an item's pack ends: `term_months` after its start; never for a perpetual one."""
    return None if spec.product.is_perpetual else add_months(starts_on, spec.term_months)


def _pack_new(
    *,
    key: SubscriptionKey,
    product: Product,
    seats: int,
    starts_on,
    ends,
    order=None,
    split_from: ProductPack | None = None,
) -> ProductPack:
    """An unsaved pack under `key` with a new random pack ID.

    It carries the product's third-party EULA, to be accepted per pack (rule 20); a pack
    split off another carries the source's, accepted or not, as the source's seats were.
    """
    if split_from is not None:
        eula = {f: getattr(split_from, f) for f in THIRD_PARTY_EULA_FIELDS}
    else:
        eula = {"third_party_eula_id": product.third_party_eula_id}
    return ProductPack(
        pack_id=_new_pack_id(product.pack_prefix),
        subscription_key=key,
        company_id=key.company_id,
        product=product,
        seats=seats,
        starts_on=starts_on,
        expires_on=ends,
        order=order,
        split_from=split_from,
        **eula,
    )


def pack_create(
    *,
    key: SubscriptionKey,
    product: Product,
    seats: int,
    starts_on,
    ends,
    order=None,
    split_from: ProductPack | None = None,
) -> ProductPack:
    """One new pack under `key` with a fresh, unique pack ID (retried on collision); see
    `_pack_new` for what it carries."""

    pack = _pack_new(
        key=key,
        product=product,
        seats=seats,
        starts_on=starts_on,
        ends=ends,
        order=order,
        split_from=split_from,
    )
    (pack,) = _packs_insert([pack])
    return pack


THIRD_PARTY_EULA_FIELDS = (
    "third_party_eula_id",
    "third_party_eula_version_id",
    "third_party_eula_accepted_at",
    "third_party_eula_accepted_by",
)


def _pack_figures(pack: ProductPack) -> dict:
    return {"comment": pack.comment, "state": pack.state}


@transaction.atomic
def pack_update(
    *,
    actor: Actor,
    pack: ProductPack,
    comment: str | None = None,
    archived: bool | None = None,
) -> ProductPack:
    """Change a pack's comment and/or archive or unarchive it.

    Archiving hides a pack the customer no longer wants to see. An active pack whose seats
    are in use on devices cannot be archived (its licenses would be stranded); a merged pack
    is already retired and stays as it is.
    """
    locked = ProductPack.objects.select_for_update().get(pk=pack.pk)
    before = _pack_figures(locked)
    if comment is not None:
        comment = comment.strip()
        if len(comment) > 500:
            raise Invalid(
                _("The comment is too long (at most 500 characters)."),
                code=PackError.COMMENT_TOO_LONG,
                errors=[{"loc": ["body", "comment"], "msg": _("At most 500 characters.")}],
            )
        locked.comment = comment
    if archived is not None:
        if locked.state == ProductPack.State.MERGED:
            raise Conflict(
                _("Pack %(id)s was merged into another pack and cannot be archived.")
                % {"id": locked.pack_id},
                code=PackError.PACK_MERGED,
            )
        if archived and locked.state != ProductPack.State.ARCHIVED:
            today = timezone.localdate()
            if locked.status_on(today) == ProductPack.Status.ACTIVE and locked.seats_used > 0:
                raise Conflict(
                    _(
                        "Pack %(id)s is active and %(n)s of its seats are in use on devices. "
                        "Remove those device licenses first."
                    )
                    % {"id": locked.pack_id, "n": locked.seats_used},
                    code=PackError.PACK_IN_USE,
                )
            locked.state = ProductPack.State.ARCHIVED
        elif not archived and locked.state == ProductPack.State.ARCHIVED:
            locked.state = ProductPack.State.LIVE
    after = _pack_figures(locked)
    if after != before:
        locked.save(update_fields=["comment", "state"])
        action = AuditAction.PACK_UPDATED
        if before["state"] != after["state"]:
            action = AuditAction.PACK_ARCHIVED if archived else AuditAction.PACK_UNARCHIVED
        event_record(
            actor=actor,
            company=locked.company,
            action=action,
            obj_type="product_pack",
            obj_id=locked.pack_id,
            before=before,
            after=after,
        )
    pack.comment, pack.state = locked.comment, locked.state
    if hasattr(pack, "current_status"):
        pack.current_status = pack.status
    return pack
