"""Unit IDs that are valid but look like neither a MAC nor a unit ID: the rule, the upload page's
warning and its explicit confirmation, and the UMS API that keeps issuing them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ilp.core.actors import Actor
from ilp.core.unit_ids import unit_id_concern, unit_id_normalize
from ilp.rollout import services
from ilp.rollout.models import DeviceLicense
from tests.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("written", "concern"),
    [
        ("ZZ:ZZ:ZZ:ZZ:ZZ:ZZ", "repeated"),
        ("ZZZZZZZZZZZY", "not_hex"),
        ("00:E0:C5:AG:00:03", "not_hex"),
        ("000000000000", "repeated"),
        ("FF-FF-FF-FF-FF-FF", "repeated"),
        ("AAAAAA", "repeated"),
        ("00E0C5AA00031", "mac_length"),  # 13 digits
        ("00E0C5AA000", "mac_length"),  # 11 digits
        ("00:E0:C5:AA:00", "mac_length"),  # a group missing
        # Plausible: a MAC in any notation, a longer unit ID, a short one.
        ("00:E0:C5:AA:00:03", None),
        ("00e0.c5aa.0003", None),
        ("00 E0 C5 AA 00 04", None),
        ("UDPOCKET2024A1B2C3", None),
        ("AAAAAA01", None),
        ("00E0C5", None),
        ("00E0C5AA0003A1B2C3D4", None),  # hex, but far from 12: a long unit ID
    ],
)
def test_the_rule(written, concern):
    normal = unit_id_normalize(written)
    assert normal is not None
    assert unit_id_concern(normal) == concern


def _upload(ums, text, **kwargs):
    return services.licenses_upload(
        actor=Actor.system(), ums=ums, product="WE", text=text, **kwargs
    )


def test_upload_holds_suspicious_ids_until_confirmed(ums):
    text = "00:E0:C5:00:00:01\nZZ:ZZ:ZZ:ZZ:ZZ:ZZ\n00E0C5AA00031\n"
    held = _upload(ums, text)
    assert held.held and held.results == []
    assert [(s.line, s.written, s.unit_id, s.concern) for s in held.suspicious] == [
        (2, "ZZ:ZZ:ZZ:ZZ:ZZ:ZZ", "ZZZZZZZZZZZZ", "repeated"),
        (3, "00E0C5AA00031", "00E0C5AA00031", "mac_length"),
    ]
    assert held.text.splitlines() == ["00:E0:C5:00:00:01", "ZZ:ZZ:ZZ:ZZ:ZZ:ZZ", "00E0C5AA00031"]
    assert not DeviceLicense.objects.exists()

    skipped = _upload(ums, held.text, suspicious="skip")
    assert [r.unit_id for r in skipped.results] == ["00E0C5000001"]
    assert len(skipped.suspicious) == 2 and not skipped.held

    issued = _upload(ums, held.text, suspicious="issue")
    assert [r.status for r in issued.results] == ["existing", "issued", "issued"]
    assert DeviceLicense.objects.filter(unit_id="ZZZZZZZZZZZZ", status="active").exists()


def test_upload_without_suspicious_ids_issues_at_once(ums):
    result = _upload(ums, "00:E0:C5:00:00:01\nAAAAAA01")
    assert not result.held and result.suspicious == []
    assert result.counts["issued"] == 2


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    assert client.login(email=admin_user.email, password=PASSWORD)
    return client


def test_upload_page_warns_and_needs_an_explicit_confirmation(admin_client, company, ums):
    url = reverse("rollout:upload", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    upload = SimpleUploadedFile("units.csv", b"unit_id\n00:E0:C5:00:00:01\nZZ:ZZ:ZZ:ZZ:ZZ:ZZ\n")
    warned = admin_client.post(url, {"product": "WE", "file": upload})
    assert warned.status_code == 200
    body = warned.content.decode()
    assert "1 unit ID does not look like a MAC address or unit ID" in body
    assert "one character repeated" in body
    assert 'name="suspicious" value="issue"' in body and "Issue anyway" in body
    # The IDs read from the file come back in the text box, so the confirmation needs no file.
    assert "00:E0:C5:00:00:01\nZZ:ZZ:ZZ:ZZ:ZZ:ZZ</textarea>" in body
    assert not DeviceLicense.objects.exists()

    # Submitting the same list again without the confirmation still issues nothing.
    again = admin_client.post(url, {"product": "WE", "unit_ids": "ZZ:ZZ:ZZ:ZZ:ZZ:ZZ"})
    assert "does not look like" in again.content.decode()
    assert not DeviceLicense.objects.exists()

    confirmed = admin_client.post(
        url,
        {
            "product": "WE",
            "unit_ids": "00:E0:C5:00:00:01\nZZ:ZZ:ZZ:ZZ:ZZ:ZZ",
            "suspicious": "issue",
        },
    )
    assert confirmed.status_code == 200
    assert "2 issued" in confirmed.content.decode()
    assert DeviceLicense.objects.filter(status="active").count() == 2


def test_upload_page_can_leave_the_suspicious_ones_out(admin_client, company, ums):
    url = reverse("rollout:upload", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    response = admin_client.post(
        url,
        {"product": "WE", "unit_ids": "00:E0:C5:00:00:01\n000000000000", "suspicious": "skip"},
    )
    body = response.content.decode()
    assert "1 issued" in body and "1 suspicious unit ID left out." in body
    assert list(DeviceLicense.objects.values_list("unit_id", flat=True)) == ["00E0C5000001"]


def test_the_ums_api_keeps_issuing_them(ums_api, pack):
    # A UMS reports the IDs its devices gave it; nobody is there to confirm a warning.
    response = ums_api.post(
        "/ums/licenses", {"product": "WE", "unit_ids": ["ZZ:ZZ:ZZ:ZZ:ZZ:ZZ", "00E0C5AA00031"]}
    )
    assert [r["status"] for r in response.json()["results"]] == ["issued", "issued"]
