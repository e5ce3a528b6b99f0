"""core.prepared: a statement the ORM builds once per process, run as SQL with new values."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from ilp.core.prepared import Prepared
from ilp.licensing.models import ProductPack
from tests.licensing.factories import make_key

pytestmark = pytest.mark.django_db


def _by_seats():
    return Prepared(
        lambda *, company_id, seats, until: (
            ProductPack.objects.filter(
                company_id=company_id, seats__gte=seats, expires_on__lt=until
            )
            .order_by("pk")
            .values_list("pack_id", "seats")
        ),
        company_id=int,
        seats=int,
        until=datetime.date,
    )


def test_each_run_puts_its_own_values_where_the_stand_ins_were(company):
    key = make_key(company, packs=[("WE", 3), ("WE", 8)])
    small, large = key.product_packs.order_by("pk")
    later = large.expires_on + datetime.timedelta(days=1)
    query = _by_seats()
    assert query.rows(company_id=company.pk, seats=1, until=later) == [
        (small.pack_id, 3),
        (large.pack_id, 8),
    ]
    assert query.rows(company_id=company.pk, seats=5, until=later) == [(large.pack_id, 8)]
    assert query.rows(company_id=company.pk, seats=1, until=large.expires_on) == []
    assert query.rows(company_id=company.pk + 1, seats=1, until=later) == []


def test_it_compiles_once_and_then_sends_the_same_sql(company, monkeypatch):
    query = _by_seats()
    compiled = []
    real = query._compile

    def counting(alias):
        compiled.append(alias) if (alias, connection.vendor) not in query._compiled else None
        return real(alias)

    monkeypatch.setattr(query, "_compile", counting)
    with CaptureQueriesContext(connection) as ran:
        for seats in (1, 2, 3):
            query.rows(company_id=company.pk, seats=seats, until=datetime.date.today())
    assert compiled == ["default"]
    assert len({q["sql"].split("WHERE")[0] for q in ran.captured_queries}) == 1


def test_an_update_counts_its_rows_and_uses_its_values(company):
    key = make_key(company, packs=[("WE", 3)])
    pack = key.product_packs.get()
    claim = Prepared(
        lambda *, pk, n: ProductPack.objects.filter(pk=pk, seats_used__lte=F("seats") - n),
        changes=lambda *, n, **_: {"seats_used": F("seats_used") + n},
        pk=int,
        n=int,
    )
    assert claim.update(pk=pack.pk, n=2) == 1
    assert claim.update(pk=pack.pk, n=2) == 0  # only one seat left
    assert claim.update(pk=pack.pk, n=1) == 1
    assert ProductPack.objects.get(pk=pack.pk).seats_used == 3


def test_a_parameter_the_orm_changes_is_refused_at_the_first_run(company):
    """`__icontains` wraps its value in %…%: the stand-in is not where the value goes, and a
    prepared statement must not silently run with the stand-in in it."""
    query = Prepared(
        lambda *, text: ProductPack.objects.filter(comment__icontains=text).values_list("pk"),
        text=str,
    )
    with pytest.raises(ValueError, match="no place found for text"):
        query.rows(text="x")


def test_only_plain_kinds_can_be_parameters():
    with pytest.raises(TypeError):
        Prepared(lambda *, x: ProductPack.objects.all(), x=list)
