"""An administrator invites a service provider and a user from "Manage company"; each
registers through the link in the mail and sees what their role allows."""

import re

import pytest

from ilp.accounts.models import Membership
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-long enough passphrase 42"


def _link_from_mail(email: str) -> str:
    body = OutboxMail.objects.filter(to=email).latest("pk").body_text
    return re.search(r"https?://\S+(/invitations/\S+)", body).group(1)


def _invite(page, email: str, role_label: str):
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role_label)
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text(f"An invitation was sent to {email}").wait_for()


def _register(page, link: str, first: str, last: str):
    page.goto(link)
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Register and accept").click()
    page.wait_for_url(lambda url: "/invitations/" not in url)


def _log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/login/" in url)


def test_admin_invites_sp_and_user_who_register_and_see_their_role(page, login, shot, company):
    make_user("admin@acme.test", company=company, role="administrator")
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/manage/")
    assert page.locator("#gaid-value").inner_text().strip() == company.gaid
    shot("admin-manage")

    _invite(page, "sp@partner.test", "Service provider")
    _invite(page, "user@acme.test", "User")
    pending = page.locator("#invitations-title").locator("xpath=..")
    assert pending.get_by_text("sp@partner.test").is_visible()
    assert pending.get_by_text("user@acme.test").is_visible()
    shot("admin-invited")
    _log_out(page)

    # The service provider registers through the mailed link.
    sp_link = _link_from_mail("sp@partner.test")
    page.goto(sp_link)
    assert page.get_by_text("Acme GmbH").first.is_visible()
    assert page.get_by_text("Service provider").first.is_visible()
    shot("sp-invitation")
    # A mismatching second password is refused on the page.
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Partner")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill("something else entirely")
    page.get_by_role("button", name="Register and accept").click()
    page.get_by_text("The two passwords differ.").wait_for()
    shot("sp-invitation-error")
    _register(page, sp_link, "Sam", "Partner")
    assert page.get_by_text("Welcome to Acme GmbH").is_visible()
    assert page.get_by_text("Sam Partner").is_visible()
    page.goto(f"/companies/{company.gaid}/manage/")
    assert page.get_by_text("Your role: Service provider").is_visible()
    assert page.get_by_role("link", name="Audit log").is_visible()  # SPs read the audit log
    assert page.get_by_role("button", name="Send invitation").count() == 0
    assert page.get_by_role("button", name="Remove").count() == 0
    shot("sp-manage")
    _log_out(page)

    # The user registers and sees everything read-only, with no invite form.
    _register(page, _link_from_mail("user@acme.test"), "Uma", "User")
    page.goto(f"/companies/{company.gaid}/manage/")
    assert page.get_by_text("Your role: User").is_visible()
    assert page.get_by_text("admin@acme.test").is_visible()
    assert page.get_by_role("button", name="Send invitation").count() == 0
    assert page.get_by_label("E-mail", exact=True).count() == 0
    assert page.get_by_role("link", name="Audit log").count() == 0
    shot("user-manage")

    roles = dict(Membership.objects.filter(company=company).values_list("user__email", "role"))
    assert roles == {
        "admin@acme.test": "administrator",
        "sp@partner.test": "service_provider",
        "user@acme.test": "user",
    }


def test_admin_changes_a_role_and_withdraws_with_htmx(page, login, shot, company):
    make_user("admin@acme.test", company=company, role="administrator")
    make_user("u@acme.test", company=company, role="user")
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto(f"/companies/{company.gaid}/manage/")
    page.get_by_label("Role of u@acme.test").select_option("service_provider")
    page.get_by_label("Role of u@acme.test").locator("xpath=..").get_by_role(
        "button", name="Change"
    ).click()
    page.get_by_text("u@acme.test is now Service provider").wait_for()
    # The last administrator cannot demote themselves: a readable message, no error page.
    page.get_by_label("Role of admin@acme.test").select_option("user")
    page.get_by_label("Role of admin@acme.test").locator("xpath=..").get_by_role(
        "button", name="Change"
    ).click()
    page.get_by_text("last administrator").wait_for()
    shot("last-admin")
    _invite(page, "gone@x.test", "User")
    page.get_by_role("button", name="Withdraw").click()
    page.get_by_text("The invitation of gone@x.test was withdrawn").wait_for()
    shot("withdrawn")


def test_profile_page_and_token(page, login, shot, company):
    make_user("admin@acme.test", company=company, role="administrator")
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)
    page.get_by_role("link", name="Admin Tester").click()
    page.get_by_role("heading", name="Your profile").wait_for()
    page.get_by_label("Token name").fill("inventory script")
    page.get_by_role("button", name="Create token").click()
    page.locator("#new-token").wait_for()
    assert page.locator("#new-token").inner_text().startswith("ilpu_")
    shot("profile-token")
