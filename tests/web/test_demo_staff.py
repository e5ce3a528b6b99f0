"""`ilp demo` prints a staff login for the back office (issue 13)."""

import pytest
from django.core.management import call_command
from django.test import Client

from ilp.web import demo

pytestmark = pytest.mark.django_db


def test_demo_prints_a_staff_login_that_opens_the_admin(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert demo.STAFF_EMAIL in out and "/admin/" in out
    client = Client()
    assert client.login(email=demo.STAFF_EMAIL, password=demo.PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_device_license_statuses_have_translatable_labels():
    from ilp.rollout.models import DeviceLicense

    assert DeviceLicense.Status.RETURNED.label == "Returned"
    assert DeviceLicense.Status.REVOKED.label == "Revoked"
