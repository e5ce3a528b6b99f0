"""Split and merge of product packs (rules 9–11).

Both only move seats between packs of one subscription key and product: the total of live
seats per key and product never changes. Every pack row is locked (`select_for_update`, in
primary-key order) before its seats are read, so two operations on the same packs serialise
instead of both acting on the same numbers. Seats of merged packs stay on the merged row as
history but are never counted: totals are sums over live packs only.
"""

import re
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.ids import crockford

from ..models import ProductPack

UNIT_ID_RE = re.compile(r"^[A-Z0-9]{6,64}$")


def unit_id_normalise(raw: str) -> str:
    """API.md: upper-case, `:` and `-` removed; 6 to 64 letters and digits."""
    return (raw or "").strip().upper().replace(":", "").replace("-", "")


def pack_id_new(product) -> str:
    """A fresh pack ID: product prefix, dash, 5 Crockford base32 characters."""
    while True:
        candidate = f"{product.pack_prefix}-{crockford(5)}"
        if not ProductPack.objects.filter(pack_id=candidate).exists():
            return candidate


def packs_lock(pks: Iterable[int]) -> list[ProductPack]:
    """Lock pack rows in primary-key order (the one order every operation uses: no deadlock).

    No select_related: on PostgreSQL it would lock the joined product and key rows too.
    """
    return list(ProductPack.objects.select_for_update().filter(pk__in=set(pks)).order_by("pk"))


def _figures(pack: ProductPack) -> dict:
    return {
        "pack": pack.pack_id,
        "seats": pack.seats,
        "seats_used": pack.seats_used,
        "state": pack.state,
        "expires_on": pack.expires_on.isoformat() if pack.expires_on else None,
    }


def _assignment_of(pack: ProductPack):
    from ilp.rollout.models import PackAssignment

    return PackAssignment.objects.filter(pack=pack).select_related("ums").first()


# --- split -----------------------------------------------------------------------------


def _active_licenses(pack: ProductPack, unit_ids: Sequence[str]):
    from ilp.rollout.models import DeviceLicense

    return list(
        DeviceLicense.objects.select_for_update()
        .filter(pack=pack, status=DeviceLicense.Status.ACTIVE, unit_id__in=unit_ids)
        .order_by("pk")
    )


@transaction.atomic
def pack_split(
    *, actor: Actor, pack: ProductPack, seats: int, unit_ids: Sequence[str] = ()
) -> tuple[ProductPack, ProductPack]:
    """Move `seats` seats (and the licenses of `unit_ids`) from `pack` into a new pack.

    The new pack has a new ID and the source's key, product, dates and order; it keeps the
    source's UMS assignment, because the licenses it may carry were issued through that UMS.
    Returns `(source, created)`.
    """
    (source,) = packs_lock([pack.pk]) or [None]
    if source is None:
        raise NotFound(code="pack_not_found", message=_("No product pack %s.") % pack.pack_id)
    if source.state != ProductPack.State.LIVE:
        raise Conflict(
            code="pack_not_splittable",
            message=_("Pack %(pack)s is %(status)s and cannot be split.")
            % {"pack": source.pack_id, "status": source.get_state_display().lower()},
        )
    product = source.product
    wanted = []
    bad = []
    for raw in unit_ids:
        unit_id = unit_id_normalise(raw)
        if not UNIT_ID_RE.match(unit_id):
            bad.append(raw)
        elif unit_id not in wanted:
            wanted.append(unit_id)
    if bad:
        raise Invalid(
            code="invalid_unit_id",
            message=_("Not a valid unit ID: %s.") % ", ".join(bad),
            errors=[{"loc": ["body", "unit_ids"], "msg": _("invalid unit ID %s") % b} for b in bad],
        )
    if seats < 1:
        raise Invalid(code="invalid_seats", message=_("Split at least one seat."))
    if seats % product.seat_multiple:
        raise Invalid(
            code="seats_not_multiple",
            message=_("%(product)s packs split only in multiples of %(multiple)s seats.")
            % {"product": product.sku, "multiple": product.seat_multiple},
        )
    licenses = _active_licenses(source, wanted) if wanted else []
    found = {lic.unit_id for lic in licenses}
    missing = [u for u in wanted if u not in found]
    if missing:
        raise Invalid(
            code="unit_not_on_pack",
            message=_("No active license of pack %(pack)s for: %(units)s.")
            % {"pack": source.pack_id, "units": ", ".join(missing)},
        )
    if len(licenses) > seats:
        raise Invalid(
            code="too_many_units",
            message=_("%(n)s devices cannot move with only %(seats)s seats.")
            % {"n": len(licenses), "seats": seats},
        )
    keep = source.seats - seats
    if keep < 1:
        raise Invalid(
            code="split_too_large",
            message=_("Pack %(pack)s has %(seats)s seats and must keep at least one.")
            % {"pack": source.pack_id, "seats": source.seats},
        )
    still_used = source.seats_used - len(licenses)
    if keep < still_used:
        raise Invalid(
            code="seats_in_use",
            message=ngettext(
                "Pack %(pack)s would keep %(keep)s seat but %(used)s are in use. "
                "Split fewer seats or move the licensed devices with them.",
                "Pack %(pack)s would keep %(keep)s seats but %(used)s of them are in use. "
                "Split fewer seats or move the licensed devices with them.",
                keep,
            )
            % {"pack": source.pack_id, "keep": keep, "used": still_used},
        )

    before = _figures(source)
    created = ProductPack.objects.create(
        pack_id=pack_id_new(product),
        subscription_key_id=source.subscription_key_id,
        company_id=source.company_id,
        product=product,
        seats=seats,
        seats_used=len(licenses),
        starts_on=source.starts_on,
        expires_on=source.expires_on,
        order_id=source.order_id,
        split_from=source,
    )
    source.seats = keep
    source.seats_used = still_used
    source.save(update_fields=["seats", "seats_used"])

    assignment = _assignment_of(source)
    if assignment is not None:
        from ilp.rollout.models import PackAssignment

        PackAssignment.objects.create(pack=created, ums=assignment.ums)
    if licenses:
        from ilp.rollout.services import licenses_move

        licenses_move(actor=actor, licenses=licenses, target_pack=created)

    event_record(
        actor=actor,
        company=source.company,
        action="pack.split",
        obj_type="product_pack",
        obj_id=source.pack_id,
        before=before,
        after={
            **_figures(source),
            "created": created.pack_id,
            "created_seats": created.seats,
            "moved_unit_ids": [lic.unit_id for lic in licenses],
        },
    )
    return source, created


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


def _merge_ums_problem(packs: Sequence[ProductPack], assignments: dict) -> str | None:
    ums_ids = {a.ums_id for a in assignments.values()}
    if len(ums_ids) > 1:
        return _("The packs are assigned to different UMS instances; unassign them first.")
    return None


@transaction.atomic
def pack_merge(
    *, actor: Actor, packs: Sequence[ProductPack]
) -> tuple[ProductPack, list[ProductPack]]:
    """Merge packs into the first one (rule 10). Returns `(target, merged)`.

    The merged packs keep their seat count as history, point at the target and no longer
    count; their active licenses move to the target. The target takes over the one UMS
    assignment the packs share, if any; packs assigned to different UMS instances refuse.
    """
    from ilp.rollout.models import DeviceLicense, PackAssignment

    order = list(dict.fromkeys(p.pk for p in packs))
    if len(order) < 2:
        raise Invalid(
            code="merge_needs_two_packs",
            message=_("Select at least two different packs to merge."),
        )
    locked = {p.pk: p for p in packs_lock(order)}
    named = [locked[pk] for pk in order if pk in locked]
    problem = merge_problem(named)
    assignments = {
        a.pack_id: a
        for a in PackAssignment.objects.select_for_update().filter(pack_id__in=order).order_by("pk")
    }
    problem = problem or _merge_ums_problem(named, assignments)
    if problem:
        raise Conflict(code="pack_not_mergeable", message=problem)

    target, others = named[0], named[1:]
    before = {"target": _figures(target), "merged": [_figures(p) for p in others]}
    licenses = list(
        DeviceLicense.objects.select_for_update()
        .filter(pack_id__in=[p.pk for p in others], status=DeviceLicense.Status.ACTIVE)
        .order_by("pk")
    )
    target.seats += sum(p.seats for p in others)
    target.seats_used += sum(p.seats_used for p in others)
    target.save(update_fields=["seats", "seats_used"])
    for p in others:
        p.state = ProductPack.State.MERGED
        p.merged_into = target
        p.seats_used = 0  # its licenses now live on the target
        p.save(update_fields=["state", "merged_into", "seats_used"])
    shared = next(iter(assignments.values()), None)
    if shared is not None:
        PackAssignment.objects.filter(pack_id__in=[p.pk for p in others]).delete()
        if target.pk not in assignments:
            PackAssignment.objects.create(pack=target, ums_id=shared.ums_id)
    if licenses:
        from ilp.rollout.services import licenses_move

        licenses_move(actor=actor, licenses=licenses, target_pack=target)

    event_record(
        actor=actor,
        company=target.company,
        action="pack.merge",
        obj_type="product_pack",
        obj_id=target.pack_id,
        before=before,
        after={**_figures(target), "merged": [p.pack_id for p in others]},
    )
    return target, others
