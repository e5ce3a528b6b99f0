"""Client input never causes a 500: malformed JSON 400, invalid fields 422 with `errors`."""

import pytest
from django.utils import translation

from ilp.core.errors import Throttled, wait_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "body", ["{not json", "[1, 2]", '"text"', "null", '{"email": 5, "role": []}', "\x00\xff"]
)
def test_garbage_bodies_are_4xx_problems(admin_api, company, body):
    r = admin_api.post(f"/companies/{company.gaid}/invitations", body)
    assert 400 <= r.status_code < 500, r.content
    assert r["Content-Type"] == "application/problem+json"


def test_malformed_json_is_400(api, db):
    r = api().post("/auth/tokens", "{oops")
    assert r.status_code == 400 and r.json()["code"] == "malformed_request"


def test_invalid_fields_are_422_with_locations(admin_api, company):
    r = admin_api.post(f"/companies/{company.gaid}/invitations", {"email": "a@b.test"})
    body = r.json()
    assert r.status_code == 422 and body["code"] == "validation_error"
    assert any(e["loc"][-1] == "role" for e in body["errors"])


def test_overlong_values_are_422_not_500(admin_api, company):
    r = admin_api.patch(f"/companies/{company.gaid}", {"name": "x" * 5000})
    assert r.status_code == 422
    r = admin_api.post(
        f"/companies/{company.gaid}/invitations", {"email": "a" * 300 + "@x.test", "role": "user"}
    )
    assert r.status_code == 422


def test_unknown_member_email_path_is_404(admin_api, company):
    r = admin_api.delete(f"/companies/{company.gaid}/members/nobody%40x.test")
    assert r.status_code == 404 and r.json()["code"] == "member_not_found"


def test_a_wait_reads_in_words_a_person_uses():
    """A throttled person reads "61 minutes" or "2 hours", never "3602 seconds"."""
    assert wait_text(1) == "1 second" and wait_text(59) == "59 seconds"
    assert wait_text(60) == "1 minute" and wait_text(3602) == "61 minutes"
    assert wait_text(7200) == "2 hours" and wait_text(86400) == "24 hours"
    assert str(Throttled(retry_after=3602)) == "Too many attempts. Try again in 61 minutes."
    with translation.override("de"):
        assert str(Throttled(retry_after=3602)) == (
            "Zu viele Versuche. Versuchen Sie es in 61 Minuten erneut."
        )
