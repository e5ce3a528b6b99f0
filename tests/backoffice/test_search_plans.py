"""The search's probes read an index, not the table (issue 21: 150 ms at the benchmark's large
tenant, bench/bench_staff_search.py measures it). On PostgreSQL the plans say so; the name's
search form is one rule (hypothesis)."""

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from ilp.accounts.models import Company
from ilp.backoffice.selectors.search import prefix_q
from ilp.core.text import search_text
from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import make_company


@given(st.text(max_size=60))
def test_search_text_is_a_normal_form(text):
    once = search_text(text)
    assert search_text(once) == once  # applying it again changes nothing
    assert once == once.strip() and "  " not in once
    assert once == once.casefold()


@given(st.text(min_size=1, max_size=30), st.text(max_size=30))
def test_a_typed_beginning_of_a_name_is_a_prefix_of_its_search_form(start, rest):
    typed = search_text(start)
    whole = search_text(start + " " + rest)
    assert whole.startswith(typed)


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Müller Logistik GmbH", "MULLER LOG"),
        ("Société Générale", "societe gen"),
        ("Straße & Söhne KG", "strasse so"),
        ("Ørsted A/S", "orsted a s"),
        ("ACME-Werke", "acme werke"),
    ],
)
def test_names_people_type(name, typed):
    assert search_text(name).startswith(search_text(typed))


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # tiny tables: ask what the index can do
        try:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("SET enable_seqscan = on")


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_answers_the_name_prefix_and_the_unit_id_from_indexes():
    for i in range(50):
        make_company(name=f"Müller {i:03d} GmbH")
    plan = _plan(Company.objects.filter(prefix_q("name_search", "muller 01")))
    assert "company_name_search_like" in plan, plan
    # A unit ID in every company: an index whose first column is the unit ID (the company's
    # own indexes lead with the company).
    plan = _plan(DeviceLicense.objects.filter(unit_id="00E0C5A1B2C3", status="active"))
    assert "Index" in plan and "unit_id" in plan, plan
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'license_unit_id'")
        (definition,) = cursor.fetchone()
    assert definition.endswith("(unit_id)"), definition
