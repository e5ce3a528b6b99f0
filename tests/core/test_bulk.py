"""core.bulk: many rows in one statement (COPY on PostgreSQL), values kept exactly."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ilp.accounts.models import Company
from ilp.accounts.services.companies import company_create
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.core.bulk import (
    SMALL,
    objects_insert,
    objects_insert_later,
    objects_insert_new,
    rows_insert,
    writes_held,
)

pytestmark = pytest.mark.django_db


def test_objects_insert_gives_every_object_its_primary_key_and_stores_its_values():
    moment = timezone.now().replace(microsecond=123456)
    objs = [
        Company(gaid=f"GABULK{n:04d}", name=f"Bulk {n} ÄÖÜ \\ tab\there", country="DE")
        for n in range(3)
    ]
    for obj in objs:
        obj.created_at = moment
    objects_insert(objs)
    assert all(o.pk is not None for o in objs)
    assert len({o.pk for o in objs}) == 3
    for obj in objs:
        stored = Company.objects.get(pk=obj.pk)
        assert (stored.gaid, stored.name, stored.created_at) == (obj.gaid, obj.name, moment)
    objs[0].name = "renamed"
    objs[0].save()  # a saved object updates, it does not insert again
    assert Company.objects.filter(gaid="GABULK0000").get().name == "renamed"


def test_objects_insert_of_nothing_is_nothing():
    objects_insert([])


def test_rows_insert_keeps_json_nulls_and_foreign_keys():
    company = Company.objects.create(gaid="GABULKROWS", name="Rows", country="DE")
    moment = timezone.now()
    rows_insert(
        AuditEvent,
        [
            "created_at",
            "company",
            "actor_kind",
            "actor_user",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "before",
            "after",
        ],
        [
            (
                moment,
                company.pk,
                "system",
                None,
                "system",
                "x.one",
                "t",
                "1",
                None,
                {"a": [1, "ü"], "when": "2026-01-01"},
            ),
            (moment, None, "system", None, "system", "x.two", "t", "2", {"n": 0}, None),
        ],
    )
    one, two = AuditEvent.objects.filter(action__startswith="x.").order_by("action")
    assert (one.company_id, one.before, one.after) == (
        company.pk,
        None,
        {"a": [1, "ü"], "when": "2026-01-01"},
    )
    assert (two.company_id, two.before, two.after) == (None, {"n": 0}, None)


def test_a_duplicate_raises_integrity_error_and_inserts_nothing():
    Company.objects.create(gaid="GABULKDUP1", name="First", country="DE")
    objs = [
        Company(gaid="GABULKNEW1", name="New", country="DE"),
        Company(gaid="GABULKDUP1", name="Duplicate", country="DE"),
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        objects_insert(objs)
    assert not Company.objects.filter(gaid="GABULKNEW1").exists()
    assert Company.objects.filter(gaid="GABULKDUP1").count() == 1


def test_objects_insert_new_leaves_out_the_conflicting_rows_and_keeps_the_transaction():
    Company.objects.create(gaid="GABULKOLD1", name="Old", country="DE")
    objs = [
        Company(gaid="GABULKNEW2", name="New two", country="DE"),
        Company(gaid="GABULKOLD1", name="Conflicts", country="DE"),
        Company(gaid="GABULKNEW3", name="New three", country="DE"),
    ]
    inserted = objects_insert_new(objs, key="gaid")
    assert [o.gaid for o in inserted] == ["GABULKNEW2", "GABULKNEW3"]
    assert objs[1].pk is None
    for obj in inserted:
        assert Company.objects.get(pk=obj.pk).name == obj.name
    assert Company.objects.get(gaid="GABULKOLD1").name == "Old"


@pytest.mark.parametrize("count", [1, SMALL, SMALL + 1, 60])
def test_small_and_large_inserts_store_the_same(count):
    moment = timezone.now()
    objs = [Company(gaid=f"GASIZE{n:04d}", name=f"Size {n}", country="AT") for n in range(count)]
    objects_insert(objs)
    rows_insert(
        AuditEvent,
        [
            "created_at",
            "company",
            "actor_kind",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "after",
        ],
        [
            (moment, o.pk, "system", "system", "x.size", "company", o.gaid, {"n": n})
            for n, o in enumerate(objs)
        ],
    )
    stored = {c.pk: c.gaid for c in Company.objects.filter(gaid__startswith="GASIZE")}
    assert stored == {o.pk: o.gaid for o in objs}
    events = AuditEvent.objects.filter(action="x.size")
    assert sorted((e.company_id, e.after["n"]) for e in events) == [
        (o.pk, n) for n, o in enumerate(objs)
    ]


def test_a_company_inserted_without_save_gets_its_derived_search_name():
    company = company_create(actor=Actor.system(), name="Müller & Söhne GmbH")
    assert Company.objects.get(pk=company.pk).name_search == "muller sohne gmbh"


def test_a_model_that_overrides_save_without_derived_fill_is_refused(monkeypatch):
    monkeypatch.delattr(Company, "derived_fill")  # Company overrides save()
    with pytest.raises(TypeError, match="overrides save"):
        objects_insert([Company(gaid="GAODD00001", name="x")])
    assert not Company.objects.filter(gaid="GAODD00001").exists()


def test_held_writes_go_at_the_end_of_the_block_and_not_after_an_error():
    company = company_create(actor=Actor.system(), name="Held GmbH")
    with writes_held():
        objects_insert_later([AuditEvent(company=company, action="x.one", actor_kind="system")])
        assert not AuditEvent.objects.filter(action="x.one").exists()
    assert AuditEvent.objects.filter(action="x.one").count() == 1
    with pytest.raises(RuntimeError), writes_held():
        objects_insert_later([AuditEvent(company=company, action="x.two", actor_kind="system")])
        raise RuntimeError
    assert not AuditEvent.objects.filter(action="x.two").exists()
