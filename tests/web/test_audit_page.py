import pytest
from django.test import Client

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from tests.accounts.factories import make_user

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _events(company, n):
    for i in range(n):
        event_record(
            actor=Actor.system(),
            company=company,
            action="pack.split",
            obj_type="product_pack",
            obj_id=f"WE-{i:05d}",
            before={"seats": 10},
            after={"seats": 7, "comment": "moved"},
        )


def test_audit_page_shows_before_and_after(company, admin_user):
    _events(company, 1)
    response = _client(admin_user).get(f"/companies/{company.gaid}/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "10 → 7" in html and "moved" in html
    assert "{&#x27;seats&#x27;" not in html  # no raw Python dicts


def test_audit_page_query_count_is_constant(company, admin_user, django_assert_max_num_queries):
    client = _client(admin_user)
    _events(company, 3)
    with django_assert_max_num_queries(8) as few:
        client.get(f"/companies/{company.gaid}/audit/")
    _events(company, 60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/companies/{company.gaid}/audit/")


def test_users_cannot_read_the_audit_page(company):
    user = make_user("reader@acme.test", company=company, role="user")
    assert _client(user).get(f"/companies/{company.gaid}/audit/").status_code == 403


def test_audit_page_pages_newest_first(company, admin_user):
    _events(company, 60)
    client = _client(admin_user)
    first = client.get(f"/companies/{company.gaid}/audit/").content.decode()
    assert 'href="?page=2"' in first and "Older" in first and "Newer" not in first
    second = client.get(f"/companies/{company.gaid}/audit/?page=2").content.decode()
    assert 'href="?page=1"' in second and "Newer" in second
