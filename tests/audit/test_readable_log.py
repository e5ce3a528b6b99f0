"""The audit log in words (issue 13): labels, only changed fields, filters, CSV, read-only
admin."""

import csv
import datetime
import io

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.utils import timezone

from ilp.audit.models import AuditEvent
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from tests.accounts.factories import make_user

pytestmark = pytest.mark.django_db


def _record(company, action="pack.split", obj_id="WE-00001", before=None, after=None, days=0):
    event = event_record(
        actor=Actor.system(),
        company=company,
        action=action,
        obj_type="product_pack",
        obj_id=obj_id,
        before=before if before is not None else {"seats": 10, "comment": "same"},
        after=after if after is not None else {"seats": 7, "comment": "same"},
    )
    if days:
        AuditEvent.objects.filter(pk=event.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days)
        )
    return event


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_page_reads_in_words_and_shows_only_changed_fields(company, admin_user):
    _record(
        company,
        after={"seats": 7, "comment": "same", "eula_accepted": True},
        before={"seats": 10, "comment": "same", "eula_accepted": False},
    )
    html = _client(admin_user).get(f"/companies/{company.gaid}/audit/").content.decode()
    assert "Pack split" in html and "pack.split</" not in html
    assert "10 → 7" in html
    assert "same" not in html  # unchanged comment is not listed
    assert "no → yes" in html and "True" not in html
    assert f'href="/companies/{company.gaid}/packs/WE-00001/"' in html


def test_order_eula_and_ums_fields_read_in_words(company, admin_user):
    # The German log showed these as English codes ("lease days", "eula accepted"): they
    # had no label, so a catalogue could not translate them.
    _record(
        company,
        action="order.received",
        obj_id="SO-1",
        before={},
        after={"order_number": "SO-1", "eula_pending": True, "old_expires_on": "2026-01-01"},
    )
    _record(company, action="ums.updated", before={"lease_days": 30}, after={"lease_days": 14})
    html = _client(admin_user).get(f"/companies/{company.gaid}/audit/").content.decode()
    for label in ("order number", "EULA pending", "previous expiry", "lease (days)"):
        assert f"<dt>{label}</dt>" in html, label
    assert "<dt>lease days</dt>" not in html and "<dt>eula pending</dt>" not in html


def test_page_filters(company, admin_user):
    _record(company, action="pack.split", obj_id="WE-SPLIT")
    _record(company, action="pack.merge", obj_id="WE-MERGE", days=10)
    _record(company, action="ums.registered", obj_id="UMS-X")
    client = _client(admin_user)
    base = f"/companies/{company.gaid}/audit/"
    html = client.get(base, {"action": "pack.merge"}).content.decode()
    assert "WE-MERGE" in html and "WE-SPLIT" not in html
    family = client.get(base, {"action": "pack"}).content.decode()
    assert "WE-MERGE" in family and "WE-SPLIT" in family and "UMS-X" not in family
    recent = client.get(base, {"since": (timezone.now().date() - datetime.timedelta(days=2))})
    assert "WE-MERGE" not in recent.content.decode()
    old = client.get(base, {"until": (timezone.now().date() - datetime.timedelta(days=5))})
    text = old.content.decode()
    assert "WE-MERGE" in text and "WE-SPLIT" not in text


def test_api_filters_and_csv(company, admin_api, user_api, outsider_api):
    _record(company, action="pack.split", obj_id="WE-SPLIT")
    _record(company, action="ums.registered", obj_id="=cmd|' /C calc'!A0")
    base = f"/companies/{company.gaid}/events"
    body = admin_api.get(base, {"action": "pack"}).json()
    assert body["count"] == 1 and body["items"][0]["object_id"] == "WE-SPLIT"
    assert admin_api.get(base, {"actor": "SYSTEM"}).json()["count"] == 2
    assert admin_api.get(base, {"actor": "nobody"}).json()["count"] == 0
    response = admin_api.get(base, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    assert rows[0][:3] == ["id", "created_at", "actor"]
    assert len(rows) == 3
    assert any(cell.startswith("'=cmd") for row in rows for cell in row)
    assert user_api.get(base, {"format": "csv"}).status_code == 403
    assert outsider_api.get(base, {"format": "csv"}).status_code == 404


def test_page_csv_export(company, admin_user):
    _record(company)
    response = _client(admin_user).get(f"/companies/{company.gaid}/audit/?format=csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert "pack.split" in text and "WE-00001" in text


def test_users_cannot_export_the_audit_log(company):
    user = make_user("reader@acme.test", company=company, role="user")
    assert _client(user).get(f"/companies/{company.gaid}/audit/?format=csv").status_code == 403


def test_admin_cannot_add_change_or_delete_events(company):
    event = _record(company)
    model_admin = site._registry[AuditEvent]
    request = RequestFactory().get("/admin/")
    request.user = type("U", (), {"is_active": True, "is_staff": True, "is_superuser": True})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


def test_codes_under_status_kind_and_role_read_as_the_pages_words(company, admin_user):
    """A status, kind or role code shows as the word the pages use (German too); the same
    word under another field (a comment, a name) stays as written."""
    _record(
        company,
        action="order.received",
        before={"status": "awaiting_redemption", "comment": "new"},
        after={
            "status": "fulfilled",
            "kind": "renewal",
            "eula": "vendor",
            "role": "service_provider",
            "comment": "active",
            "accepted_at": "2026-11-29T07:04:03.373306+00:00",
        },
    )
    client = _client(admin_user)
    html = client.get(f"/companies/{company.gaid}/audit/").content.decode()
    assert "Awaiting redemption → Fulfilled" in html
    assert "Renewal" in html and "Service provider" in html
    assert "awaiting_redemption" not in html and "service_provider" not in html
    assert "new → active" in html  # a comment is not a code
    assert "2026-11-29 07:04" in html and "07:04:03.373306" not in html  # a time, readable
    client.cookies["django_language"] = "de"
    html = client.get(f"/companies/{company.gaid}/audit/").content.decode()
    assert "Wartet auf Einlösung → Erfüllt" in html
    assert "Verlängerung" in html and "Dienstleister" in html
