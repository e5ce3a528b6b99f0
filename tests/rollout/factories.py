"""Rollout factories: make_ums(company, packs=[pack, …]) → (ums, credential)."""

from django_tasks_db.models import DBTaskResult

from ilp.core.actors import Actor
from ilp.licensing.services.seats import pack_assignee_set
from ilp.rollout.models import PackAssignment
from ilp.rollout.services import licenses_issue, ums_register
from ilp.rollout.tasks import resign_licenses


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


def resign_tasks_queued() -> list[list[int]]:
    """The pack IDs of every re-sign task waiting in the task queue (`rollout.tasks`)."""
    return [
        row.args_kwargs["args"][0]
        for row in DBTaskResult.objects.ready().order_by("enqueued_at")
        if row.task_path.endswith(".resign_licenses")
    ]


def resign_tasks_run() -> int:
    """Run the queued re-sign tasks as the worker would (then mark them done); returns how
    many licenses they signed again."""
    signed = 0
    for row in DBTaskResult.objects.ready().order_by("enqueued_at"):
        if row.task_path.endswith(".resign_licenses"):
            signed += resign_licenses.call(*row.args_kwargs["args"])
            row.delete()
    return signed
