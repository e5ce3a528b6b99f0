"""core.lookups: `__any_of` selects what `__in` selects (one array parameter on PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ilp.accounts.models import Company

pytestmark = pytest.mark.django_db


@pytest.fixture
def companies():
    return [
        Company.objects.create(gaid=f"GALOOKUP{n:02d}", name=f"Lookup {n}", country="DE")
        for n in range(5)
    ]


@pytest.mark.parametrize(
    "gaids",
    [
        [],
        ["GALOOKUP01"],
        ["GALOOKUP01", "GALOOKUP03", "GANOTTHERE", "GALOOKUP03"],
        [None, "GALOOKUP04"],
    ],
)
def test_any_of_selects_what_in_selects(companies, gaids):
    by_any = set(Company.objects.filter(gaid__any_of=gaids).values_list("gaid", flat=True))
    by_in = set(Company.objects.filter(gaid__in=gaids).values_list("gaid", flat=True))
    assert by_any == by_in == {g for g in gaids if g and g != "GANOTTHERE"}


def test_any_of_takes_primary_keys_and_a_subquery(companies):
    wanted = [companies[0].pk, companies[2].pk]
    assert set(Company.objects.filter(pk__any_of=wanted)) == {companies[0], companies[2]}
    sub = Company.objects.filter(gaid="GALOOKUP01").values("pk")
    assert list(Company.objects.filter(pk__any_of=sub)) == [companies[1]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array form is PostgreSQL's")
def test_any_of_sends_one_array_parameter_on_postgresql(companies):
    gaids = [c.gaid for c in companies]
    with CaptureQueriesContext(connection) as ctx:
        assert Company.objects.filter(gaid__any_of=gaids).count() == 5
    sql = ctx.captured_queries[0]["sql"]
    assert "= ANY(" in sql and " IN (" not in sql
