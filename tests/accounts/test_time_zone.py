"""Time zones (API.md, third round): `PATCH /me {"time_zone"}` with IANA names (422 for
others), the profile's field, and every page showing times in the person's zone (default
UTC) with the zone's abbreviation; business days stay UTC days."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from ilp.accounts.models import User
from ilp.audit.models import AuditEvent
from tests.accounts.factories import make_user

pytestmark = pytest.mark.django_db


def test_patch_me_sets_an_iana_zone(admin_api, admin_user):
    assert admin_api.get("/me").json()["time_zone"] == "UTC"
    answer = admin_api.patch("/me", {"time_zone": "Europe/Berlin"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["time_zone"] == "Europe/Berlin"
    admin_user.refresh_from_db()
    assert admin_user.time_zone == "Europe/Berlin"
    event = AuditEvent.objects.get(action="user.profile_updated")
    assert (event.before, event.after) == ({"time_zone": "UTC"}, {"time_zone": "Europe/Berlin"})


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "europe/berlin", "CET+1", "../etc/passwd", "x" * 80]
)
def test_patch_me_refuses_unknown_zones(admin_api, admin_user, name):
    answer = admin_api.patch("/me", {"time_zone": name})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_time_zone"
    admin_user.refresh_from_db()
    assert admin_user.time_zone == ""


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_profile_field_sets_the_zone_and_lists_the_names(company):
    person = make_user("p@acme.test", company=company, role="user")
    client = _client(person)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'list="time-zones"' in page and '<option value="America/New_York">' in page
    form = {"first_name": "Paula", "last_name": "P", "language": "en", "time_zone": "Asia/Tokyo"}
    assert client.post(reverse("accounts:profile"), form).status_code == 302
    person.refresh_from_db()
    assert person.time_zone == "Asia/Tokyo"
    bad = client.post(reverse("accounts:profile"), {**form, "time_zone": "Tokyo"})
    assert bad.status_code == 422
    assert "Tokyo is not a time zone" in bad.content.decode()


def test_pages_show_times_in_the_persons_zone(admin_user, company):
    """The audit log shows when each event happened: in UTC by default, in the person's zone
    with its abbreviation once they chose one."""
    from ilp.audit.services import event_record
    from ilp.core.actors import Actor

    event_record(
        actor=Actor.system(),
        company=company,
        action="company.updated",
        obj_type="company",
        obj_id=company.gaid,
        before={},
        after={"name": "Acme"},
    )
    AuditEvent.objects.update(created_at=datetime.datetime(2026, 7, 1, 22, 30, tzinfo=datetime.UTC))
    client = _client(admin_user)
    url = f"/companies/{company.gaid}/audit/"
    assert "2026-07-01 22:30 UTC" in client.get(url).content.decode()
    User.objects.filter(pk=admin_user.pk).update(time_zone="Europe/Berlin")
    html = client.get(url).content.decode()
    assert "2026-07-02 00:30 CEST" in html and "22:30" not in html


def test_a_zone_changes_no_business_day(admin_user, company, settings):
    """A person far east of UTC sees the same "today" as everybody: the dashboard's expiry
    filters are UTC days."""
    User.objects.filter(pk=admin_user.pk).update(time_zone="Pacific/Kiritimati")  # UTC+14
    client = _client(admin_user)
    html = client.get(f"/companies/{company.gaid}/").content.decode()
    today = datetime.datetime.now(datetime.UTC).date()
    in_31 = (today + datetime.timedelta(days=31)).isoformat()
    assert f"expires_before={in_31}" in html
