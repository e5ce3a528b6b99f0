"""Rollout portal pages: UMS IDs, Search hardware, bulk upload, license file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ilp.rollout.models import DeviceLicense, PackAssignment, UmsInstance
from tests.accounts.factories import PASSWORD, make_company, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import assign, issue, make_ums

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    assert client.login(email=admin_user.email, password=PASSWORD)
    return client


@pytest.fixture
def user_client(company):
    client = Client()
    make_user("reader@acme.test", company=company, role="user")
    assert client.login(email="reader@acme.test", password=PASSWORD)
    return client


def _url(name, company, **kwargs):
    return reverse(f"rollout:{name}", kwargs={"gaid": company.gaid, **kwargs})


def test_register_shows_the_credential_once(admin_client, company):
    response = admin_client.post(_url("ums_list", company), {"name": "HQ", "auto_assign": "on"})
    # Post/redirect/get: the credential is not the POST's body, so a reload cannot re-post.
    assert response.status_code == 302
    assert response["Location"] == _url("ums_list", company)
    assert "ilpm_" not in response["Location"]
    ums = UmsInstance.objects.get()
    assert ums.auto_assign
    body = admin_client.get(response["Location"]).content.decode()
    assert "ilpm_" in body and "shown only this once" in body
    # Reloading shows the page without the credential and registers nothing.
    assert "ilpm_" not in admin_client.get(_url("ums_list", company)).content.decode()
    assert UmsInstance.objects.count() == 1


def test_register_blank_name_shows_an_error(admin_client, company):
    response = admin_client.post(_url("ums_list", company), {"name": " "})
    assert response.status_code == 422
    assert "1 to 200 characters" in response.content.decode()


def test_user_sees_the_page_but_cannot_register(user_client, company, ums):
    page = user_client.get(_url("ums_list", company))
    assert page.status_code == 200 and ums.ums_id in page.content.decode()
    assert "Register a UMS" not in page.content.decode()
    assert user_client.post(_url("ums_list", company), {"name": "x"}).status_code == 403
    assert user_client.post(_url("ums_rotate", company, ums_id=ums.ums_id)).status_code == 403


def test_outsider_gets_404(company, ums):
    other = make_company()
    make_user("o@other.test", company=other, role="administrator")
    client = Client()
    client.login(email="o@other.test", password=PASSWORD)
    assert client.get(_url("ums_list", company)).status_code == 404
    assert client.get(_url("hardware", company)).status_code == 404


def test_assign_unassign_forced_and_messages(admin_client, company):
    ums, _ = make_ums(company)
    pack = make_key(company, packs=[("WE", 3)]).product_packs.get()
    response = admin_client.post(
        _url("pack_assign", company, ums_id=ums.ums_id), {"pack_id": pack.pack_id}, follow=True
    )
    assert "assigned to" in response.content.decode()
    assert PackAssignment.objects.filter(ums=ums, pack=pack).exists()
    issue(ums, "WE", "AAAAAA01")
    unassign = _url("pack_unassign", company, ums_id=ums.ums_id, pack_id=pack.pack_id)
    refused = admin_client.post(unassign, follow=True)
    assert "Unassign with force" in refused.content.decode()
    admin_client.post(unassign, {"force": "1"})
    assert not PackAssignment.objects.exists()
    assert DeviceLicense.objects.get().status == "revoked"


def test_assigning_a_pack_of_another_ums_shows_the_conflict(admin_client, company, pack, ums):
    other, _ = make_ums(company, name="Other")
    response = admin_client.post(
        _url("pack_assign", company, ums_id=other.ums_id), {"pack_id": pack.pack_id}, follow=True
    )
    assert response.status_code == 200
    assert "Unassign it there first" in response.content.decode()


def test_rename_toggle_rotate_delete(admin_client, company, ums):
    admin_client.post(
        _url("ums_edit", company, ums_id=ums.ums_id), {"name": "Renamed", "auto_assign": "off"}
    )
    ums.refresh_from_db()
    assert ums.name == "Renamed" and not ums.auto_assign
    old_hash = ums.credential_hash
    rotated = admin_client.post(_url("ums_rotate", company, ums_id=ums.ums_id), follow=True)
    assert rotated.redirect_chain and "ilpm_" in rotated.content.decode()
    ums.refresh_from_db()
    assert ums.credential_hash != old_hash
    admin_client.post(_url("ums_delete", company, ums_id=ums.ums_id), {"force": "1"})
    assert not UmsInstance.objects.exists()


def test_ums_page_runs_constant_queries(admin_client, company, django_assert_max_num_queries):
    for n in range(6):
        packs = list(make_key(company, packs=[("WE", 2), ("EMP", 2)]).product_packs.all())
        make_ums(company, name=f"UMS {n}", packs=packs[:1])
    with django_assert_max_num_queries(14):
        assert admin_client.get(_url("ums_list", company)).status_code == 200


def test_hardware_search_any_separator_and_remove(admin_client, company, ums, pack):
    lic = issue(ums, "WE", "00E0C5123456")[0].license
    page = admin_client.get(_url("hardware", company), {"q": "00.e0.c5.12.34.56"})
    body = page.content.decode()
    assert lic.license_id in body and "Remove hardware" in body
    admin_client.post(
        _url("hardware_remove", company, unit_id=lic.unit_id, license_id=lic.license_id)
    )
    lic.refresh_from_db()
    pack.refresh_from_db()
    assert lic.status == "returned" and pack.seats_used == 0
    after = admin_client.get(_url("hardware", company), {"q": "00E0C5123456"}).content.decode()
    assert "no active license" in after and "1 earlier license" in after


def test_hardware_invalid_query_shows_a_message(admin_client, company):
    response = admin_client.get(_url("hardware", company), {"q": "12"})
    assert response.status_code == 200 and "is not a unit ID" in response.content.decode()


def test_hardware_page_runs_constant_queries(
    admin_client, company, ums, django_assert_max_num_queries
):
    issue(ums, "WE", "00E0C5123456")
    emp = make_key(company, packs=[("EMP", 3)]).product_packs.get()
    assign(emp, ums)
    issue(ums, "EMP", "00E0C5123456")
    with django_assert_max_num_queries(10):
        admin_client.get(_url("hardware", company), {"q": "00E0C5123456"})


def test_user_cannot_remove_hardware(user_client, company, ums):
    lic = issue(ums, "WE", "00E0C5123456")[0].license
    url = _url("hardware_remove", company, unit_id=lic.unit_id, license_id=lic.license_id)
    assert user_client.post(url).status_code == 403
    assert (
        "Remove hardware"
        not in user_client.get(_url("hardware", company), {"q": lic.unit_id}).content.decode()
    )


def test_upload_file_issues_and_shows_results_per_device(admin_client, company, ums, pack):
    upload = SimpleUploadedFile(
        "units.csv", b"unit_id,room\n00:E0:C5:00:00:01,1\n00E0C5000002,2\nbad,3\n"
    )
    response = admin_client.post(
        _url("upload", company, ums_id=ums.ums_id), {"product": "WE", "file": upload}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 issued" in body and "1 invalid" in body
    assert DeviceLicense.objects.filter(ums=ums, status="active").count() == 2


def test_upload_without_ids_and_unknown_product(admin_client, company, ums):
    url = _url("upload", company, ums_id=ums.ums_id)
    empty = admin_client.post(url, {"product": "WE", "unit_ids": "\n\n"})
    assert empty.status_code == 422 and "no unit IDs" in empty.content.decode()
    unknown = admin_client.post(url, {"product": "XX", "unit_ids": "AAAAAA01"})
    assert unknown.status_code == 422 and "Unknown product" in unknown.content.decode()


def test_license_file_download(user_client, company, ums):
    issue(ums, "WE", "AAAAAA01")
    response = user_client.get(_url("license_file", company, ums_id=ums.ums_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwt"
    assert response.content.count(b".") == 2


def test_ald_token_without_htmx_uses_post_redirect_get(admin_client, company):
    from ilp.rollout.models import AldToken

    key = make_key(company, packs=[("WE", 3)])
    url = reverse("rollout:ald_token", kwargs={"gaid": company.gaid, "key": key.key})
    posted = admin_client.post(url, {"action": "generate"})
    assert posted.status_code == 302 and posted["Location"] == url
    shown = admin_client.get(url).content.decode()
    assert "ilpa_" in shown
    assert "ilpa_" not in admin_client.get(url).content.decode()
    assert AldToken.objects.count() == 1
    # htmx still gets the fragment with the token in it.
    fragment = admin_client.post(url, {"action": "generate"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "ilpa_" in fragment.content.decode()
