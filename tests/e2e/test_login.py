import pytest

from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_wrong_password_shows_a_message_and_right_one_logs_in(page, login, shot, company):
    make_user("admin@acme.test", company=company, role="administrator")
    login("admin@acme.test", "wrong password")
    assert page.get_by_role("alert").is_visible()
    shot("login-error")
    login("ADMIN@acme.test", PASSWORD)  # e-mail is case-insensitive
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.get_by_text("Admin Tester").is_visible()
    shot("after-login")
