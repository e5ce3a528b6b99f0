"""Rollout factories: make_ums(company, packs=[pack, …]) → (ums, credential)."""

from ilp.core.actors import Actor
from ilp.licensing.services.seats import pack_assignee_set
from ilp.rollout.models import PackAssignment
from ilp.rollout.services import licenses_issue, ums_register


def make_ums(company, *, name="UMS Berlin", packs=(), auto_assign=False):
    ums, credential = ums_register(
        actor=Actor.system(), company=company, name=name, auto_assign=auto_assign
    )
    for pack in packs:
        assign(pack, ums)
    return ums, credential


def assign(pack, ums):
    """Assign a pack to a UMS as rollout's services record it (the assignment row and the UMS
    ID on the pack row), without their checks and audit event."""
    PackAssignment.objects.create(pack=pack, ums=ums)
    pack_assignee_set(pack=pack, ums_id=ums.ums_id)


def issue(ums, product, *unit_ids):
    return licenses_issue(actor=Actor.for_ums(ums), ums=ums, product=product, unit_ids=unit_ids)
