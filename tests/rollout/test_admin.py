import pytest
from django.test import Client

from tests.accounts.factories import make_user
from tests.rollout.factories import issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["umsinstance", "packassignment", "devicelicense", "signingkey"])
def test_admin_lists_are_read_only_and_hide_the_credential_hash(model, ums):
    issue(ums, "WE", "AAAAAA01")
    client = Client()
    client.force_login(make_user("staff@vendor.test", is_staff=True, is_superuser=True))
    response = client.get(f"/admin/rollout/{model}/")
    assert response.status_code == 200
    assert ums.credential_hash not in response.content.decode()
    assert client.get(f"/admin/rollout/{model}/add/").status_code == 403
