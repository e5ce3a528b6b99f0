"""Accepting EULAs (rule 20).

Every delivered order carries the vendor's EULA: an administrator or service provider
accepts it once for the whole order, from the order or from any pack it created. A product
may carry a third-party EULA, which each of its packs accepts on its own. Until both are
accepted a pack issues no device licenses (`ProductPack.eula_accepted`, rollout's issuance).
What was accepted is the version in force at that moment; accepting again changes nothing
and answers the first acceptance. Each acceptance is an audit event (who, when, which
version) written in the same transaction.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict

from ..audit_actions import AuditAction
from ..errors import EulaError
from ..models import Eula, EulaVersion, Order, ProductPack
from ..selectors.eula import eula_version_in_force, eulas_waiting, vendor_eula
from .webhook_events import EULA, packs_changed, packs_emit


def _version_to_accept(eula: Eula | None, expected: str | None) -> EulaVersion:
    """The version in force of `eula`; 409 when there is none, or when the caller named the
    version it read (`expected`) and another one is in force by now."""
    version = eula_version_in_force(eula=eula)
    if version is None:
        raise Conflict(
            _("No version of the EULA is in force; the vendor must publish one first."),
            code=EulaError.EULA_UNAVAILABLE,
        )
    if expected and expected.strip() != version.version:
        raise Conflict(
            _(
                "The EULA changed while you read it: version %(version)s is in force now. "
                "Read it and accept again."
            )
            % {"version": version.version},
            code=EulaError.EULA_VERSION_OUTDATED,
        )
    version.eula = eula
    return version


@transaction.atomic
def order_eula_accept(*, actor: Actor, order: Order, version: str | None = None) -> Order:
    """Accept an order's vendor EULA for the whole order (its packs, and the packs split off
    them, may issue licenses once their third-party EULAs are accepted too).

    Idempotent: an accepted order is returned as it is. An order from before EULAs were
    tracked carries none; accepting it records the vendor EULA in force. `version`, when
    given, is the version the person read (409 `eula_version_outdated` if another is in
    force by now). Returns the order, locked and up to date.
    """
    locked = Order.objects.select_for_update().select_related("company").get(pk=order.pk)
    if locked.eula_accepted_at is not None:
        return locked
    eula = vendor_eula() if locked.eula_id is None else locked.eula
    accepted = _version_to_accept(eula, version)
    locked.eula = eula
    locked.eula_version = accepted
    locked.eula_accepted_at = timezone.now()
    locked.eula_accepted_by = actor.label
    locked.save(update_fields=["eula", "eula_version", "eula_accepted_at", "eula_accepted_by"])
    event_record(
        actor=actor,
        company=locked.company,
        action=AuditAction.EULA_ACCEPTED,
        obj_type="order",
        obj_id=locked.order_number,
        before={"eula_accepted": False},
        after={
            "eula": eula.slug,
            "eula_title": eula.title,
            "eula_version": accepted.version,
            "accepted_at": locked.eula_accepted_at.isoformat(),
            "product_packs": list(
                ProductPack.objects.filter(order=locked)
                .order_by("pk")
                .values_list("pack_id", flat=True)
            ),
        },
    )
    packs_emit(
        company_id=locked.company_id,
        type="product_pack.changed",
        pack_ids=ProductPack.objects.filter(order=locked).values_list("pack_id", flat=True),
        change=EULA,
    )
    return locked


@transaction.atomic
def pack_eula_accept(
    *,
    actor: Actor,
    pack: ProductPack,
    version: str | None = None,
    third_party_version: str | None = None,
) -> tuple[Order | None, ProductPack]:
    """Accept what a pack waits for: the vendor EULA of the order that created it (which
    covers the whole order) and the pack's own third-party EULA. Each part is idempotent.

    Returns `(order or None, pack)`: the order when the pack came from one.
    """
    order = None
    if pack.order_id is not None:
        order = order_eula_accept(actor=actor, order=pack.order, version=version)
    locked = ProductPack.objects.select_for_update().get(pk=pack.pk)
    if locked.third_party_eula_id is not None and locked.third_party_eula_accepted_at is None:
        eula = Eula.objects.get(pk=locked.third_party_eula_id)
        accepted = _version_to_accept(eula, third_party_version)
        locked.third_party_eula_version = accepted
        locked.third_party_eula_accepted_at = timezone.now()
        locked.third_party_eula_accepted_by = actor.label
        locked.save(
            update_fields=[
                "third_party_eula_version",
                "third_party_eula_accepted_at",
                "third_party_eula_accepted_by",
            ]
        )
        event_record(
            actor=actor,
            company=locked.company,
            action=AuditAction.EULA_ACCEPTED,
            obj_type="product_pack",
            obj_id=locked.pack_id,
            before={"eula_accepted": False},
            after={
                "eula": eula.slug,
                "eula_title": eula.title,
                "eula_version": accepted.version,
                "accepted_at": locked.third_party_eula_accepted_at.isoformat(),
                "third_party": True,
            },
        )
        packs_changed(company_id=locked.company_id, packs=[locked], change=EULA)
    return order, locked


@transaction.atomic
def eulas_accept_all(*, actor: Actor, membership) -> dict:
    """Accept every EULA the company waits for, in one transaction: each waiting order's
    vendor EULA, then each pack's third-party EULA (orders before packs, each in primary-key
    order: the lock order of the one-by-one acceptances). Each is its own audit event, as if
    accepted one by one, at the version in force now.

    Returns `{"accepted": [order numbers], "packs": [pack ids]}`: the orders accepted now,
    and the live packs that waited for an EULA (their order's or their own) and no longer
    do. 409 `eula_unavailable` (nothing accepted) when one of the EULAs has no version in
    force. Nothing waiting answers two empty lists.
    """
    waiting = eulas_waiting(membership=membership)
    before = set(waiting["blocked_packs"])
    accepted = [
        order_eula_accept(actor=actor, order=order).order_number for order in waiting["orders"]
    ]
    for pack in waiting["packs"]:
        pack_eula_accept(actor=actor, pack=pack)
    after = set(eulas_waiting(membership=membership)["blocked_packs"])
    return {"accepted": accepted, "packs": sorted(before - after)}
