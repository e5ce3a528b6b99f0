"""Split and merge of product packs (rules 9–11): the seat side.

Licensing owns a pack's seats; rollout owns the licenses that use them. An operation that
changes both is orchestrated by rollout (`rollout.services.pack_split` / `pack_merge`):
it locks the packs through `packs_lock`, checks and locks the licenses that move, calls the
seat-only functions here (told how many used seats move), then moves its licenses — one
transaction. These functions are not called by routes or pages directly.

Both only move seats between packs of one subscription key and product: the total of live
seats per key and product never changes. Every pack row is locked (`select_for_update`, in
primary-key order) before its seats are read, so two operations on the same packs serialise
instead of both acting on the same numbers. Seats of merged packs stay on the merged row as
history but are never counted: totals are sums over live packs only.
"""

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.unit_ids import unit_id_normalize

from ..audit_actions import AuditAction
from ..errors import PackError
from ..models import ProductPack
from .packs import pack_create
from .seats import seats_transfer


def packs_lock(
    pks: Iterable[int], *, related: bool = False, no_key: bool = False
) -> list[ProductPack]:
    """Lock pack rows in primary-key order (the one order every operation uses: no deadlock).

    With `related`, the product, key and company come along in the same query (for signing
    licenses); only the pack rows are locked (`of=("self",)`), never the joined rows. With
    `no_key` the lock is PostgreSQL's FOR NO KEY UPDATE (the staff corrections): it does not
    wait for, nor block, a license being inserted for the pack (its foreign key check takes
    KEY SHARE), whose seat claim then waits for the correction and re-checks its figures.
    """
    qs = ProductPack.objects.filter(pk__in=set(pks)).order_by("pk")
    if related:
        qs = qs.select_for_update(of=("self",), no_key=no_key).select_related(
            "product", "subscription_key", "company"
        )
    else:
        qs = qs.select_for_update(no_key=no_key)
    return list(qs)


def _figures(pack: ProductPack) -> dict:
    return {
        "pack": pack.pack_id,
        "seats": pack.seats,
        "seats_used": pack.seats_used,
        "state": pack.state,
        "expires_on": pack.expires_on.isoformat() if pack.expires_on else None,
    }


# --- split -----------------------------------------------------------------------------


def pack_split_check(
    *, pack: ProductPack, seats: int, unit_ids: Sequence[str] = ()
) -> tuple[ProductPack, list[str]]:
    """Lock the source pack and check what a split of it asks for, before anything moves:
    404/409 for the pack, 422 `invalid_unit_id` and the seat rules. Returns the locked
    source and the unit IDs in normal form, each once."""
    source = _split_source_lock(pack)
    wanted = _split_units_check(unit_ids)
    _split_seats_check(source, seats)
    return source, wanted


@transaction.atomic
def pack_split(
    *, actor: Actor, pack: ProductPack, seats: int, unit_ids: Sequence[str] = ()
) -> tuple[ProductPack, ProductPack]:
    """Move `seats` seats from `pack` into a new pack, and `len(unit_ids)` used seats with
    them (the licenses of those devices, which the caller — rollout's `pack_split` — has
    checked, locked and moves itself). Seats only: call it through rollout.

    The new pack has a new ID and the source's key, product, dates and order. Returns
    `(source, created)`.
    """
    source, wanted = pack_split_check(pack=pack, seats=seats, unit_ids=unit_ids)
    before = _figures(source)
    created = pack_create(
        key=source.subscription_key,
        product=source.product,
        seats=seats,
        starts_on=source.starts_on,
        ends=source.expires_on,
        order=source.order,
        split_from=source,
    )
    # The moved devices' seats follow them, while the source still holds all its seats
    # (`seats_used <= seats` at every step).
    seats_transfer(source=source, target=created, count=len(wanted))
    _split_keep_check(source, seats)
    source.seats -= seats
    source.save(update_fields=["seats"])
    event_record(
        actor=actor,
        company=source.company,
        action=AuditAction.PACK_SPLIT,
        obj_type="product_pack",
        obj_id=source.pack_id,
        before=before,
        after={
            **_figures(source),
            "created": created.pack_id,
            "created_seats": created.seats,
            "moved_unit_ids": wanted,
        },
    )
    return source, created


def _split_source_lock(pack: ProductPack) -> ProductPack:
    (source,) = packs_lock([pack.pk]) or [None]
    if source is None:
        raise NotFound(
            code=PackError.PACK_NOT_FOUND, message=_("No product pack %s.") % pack.pack_id
        )
    if source.state != ProductPack.State.LIVE:
        raise Conflict(
            code=PackError.PACK_NOT_SPLITTABLE,
            message=_("Pack %(pack)s is %(status)s and cannot be split.")
            % {"pack": source.pack_id, "status": source.get_state_display().lower()},
        )
    return source


def _split_units_check(unit_ids: Sequence[str]) -> list[str]:
    """The named unit IDs in normal form, each once; 422 `invalid_unit_id` names bad ones."""
    wanted: list[str] = []
    bad = []
    for raw in unit_ids:
        unit_id = unit_id_normalize(raw)
        if unit_id is None:
            bad.append(raw)
        elif unit_id not in wanted:
            wanted.append(unit_id)
    if bad:
        raise Invalid(
            code=PackError.INVALID_UNIT_ID,
            message=_("Not a valid unit ID: %s.") % ", ".join(map(str, bad)),
            errors=[{"loc": ["body", "unit_ids"], "msg": _("invalid unit ID %s") % b} for b in bad],
        )
    return wanted


def _split_seats_check(source: ProductPack, seats: int) -> None:
    if seats < 1:
        raise Invalid(code=PackError.INVALID_SEATS, message=_("Split at least one seat."))
    product = source.product
    if seats % product.seat_multiple:
        raise Invalid(
            code=PackError.SEATS_NOT_MULTIPLE,
            message=_("%(product)s packs split only in multiples of %(multiple)s seats.")
            % {"product": product.sku, "multiple": product.seat_multiple},
        )
    # Checked again after the licenses moved (`_split_keep_check`), but first here: a number
    # beyond the seats column (2**31 from a portal form) must never reach the insert.
    if seats >= source.seats:
        _split_keep_check(source, seats)


def _split_keep_check(source: ProductPack, seats: int) -> None:
    """The source keeps at least one seat and at least the seats still in use (rule 9)."""
    keep = source.seats - seats
    if keep < 1:
        raise Invalid(
            code=PackError.SPLIT_TOO_LARGE,
            message=_("Pack %(pack)s has %(seats)s seats and must keep at least one.")
            % {"pack": source.pack_id, "seats": source.seats},
        )
    still_used = source.seats_used
    if keep < still_used:
        raise Invalid(
            code=PackError.SEATS_IN_USE,
            message=ngettext(
                "Pack %(pack)s would keep %(keep)s seat but %(used)s are in use. "
                "Split fewer seats or move the licensed devices with them.",
                "Pack %(pack)s would keep %(keep)s seats but %(used)s of them are in use. "
                "Split fewer seats or move the licensed devices with them.",
                keep,
            )
            % {"pack": source.pack_id, "keep": keep, "used": still_used},
        )


# --- merge -----------------------------------------------------------------------------


def merge_problem(packs: Sequence[ProductPack]) -> str | None:
    """Why these packs (target first) cannot be merged, or None if they can.

    Shared by the merge service (which asks again under the row locks) and the portal's
    live check of a selection.
    """
    if len({p.pk for p in packs}) < 2:
        return _("Select at least two different packs to merge.")
    for p in packs:
        status = p.status
        if status != ProductPack.Status.ACTIVE:
            return _("Pack %(pack)s is %(status)s; only active packs can be merged.") % {
                "pack": p.pack_id,
                "status": ProductPack.Status(status).label.lower(),
            }
    for p in packs:
        # The merged seats would join the target's EULA state: a pack still waiting would
        # issue licenses through an accepted target (rule 20). Accept first, then merge.
        if not p.eula_accepted:
            return _(
                "Pack %(pack)s waits for its EULA to be accepted; accept it before merging."
            ) % {"pack": p.pack_id}
    target = packs[0]
    for p in packs[1:]:
        if p.subscription_key_id != target.subscription_key_id:
            return _("Packs %(a)s and %(b)s belong to different subscription keys.") % {
                "a": target.pack_id,
                "b": p.pack_id,
            }
        if p.product_id != target.product_id:
            return _("Packs %(a)s and %(b)s are of different products.") % {
                "a": target.pack_id,
                "b": p.pack_id,
            }
        if p.starts_on != target.starts_on or p.expires_on != target.expires_on:
            return _("Packs %(a)s and %(b)s have different start or expiry dates.") % {
                "a": target.pack_id,
                "b": p.pack_id,
            }
    return None


def packs_merge_lock(packs: Sequence[ProductPack]) -> list[ProductPack]:
    """Lock the packs of a merge (target first in the answer) and check rule 10: 422 for
    fewer than two, 409 `pack_not_mergeable` with the reason."""
    order = list(dict.fromkeys(p.pk for p in packs))
    if len(order) < 2:
        raise Invalid(
            code=PackError.MERGE_NEEDS_TWO_PACKS,
            message=_("Select at least two different packs to merge."),
        )
    locked = {p.pk: p for p in packs_lock(order)}
    named = [locked[pk] for pk in order if pk in locked]
    problem = merge_problem(named)
    if problem:
        raise Conflict(code=PackError.PACK_NOT_MERGEABLE, message=problem)
    return named


@transaction.atomic
def pack_merge(
    *, actor: Actor, packs: Sequence[ProductPack]
) -> tuple[ProductPack, list[ProductPack]]:
    """Merge packs into the first one (rule 10), seats only: call it through rollout's
    `pack_merge`, which moves the licenses. Returns `(target, merged)`.

    The merged packs keep their seat count as history, point at the target and no longer
    count; their used seats move to the target (the licenses that use them move too).
    """
    named = packs_merge_lock(packs)
    target, others = named[0], named[1:]
    before = {"target": _figures(target), "merged": [_figures(p) for p in others]}
    target.seats += sum(p.seats for p in others)
    target.save(update_fields=["seats"])
    for p in others:
        seats_transfer(source=p, target=target, count=p.seats_used)  # its licenses move too
        p.state = ProductPack.State.MERGED
        p.merged_into = target
        p.save(update_fields=["state", "merged_into"])
    event_record(
        actor=actor,
        company=target.company,
        action=AuditAction.PACK_MERGE,
        obj_type="product_pack",
        obj_id=target.pack_id,
        before=before,
        after={**_figures(target), "merged": [p.pack_id for p in others]},
    )
    return target, others
