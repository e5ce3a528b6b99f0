"""Issue 9's journeys as a person clicks them: an administrator turns on two-factor sign-in;
later they forget the password, get back in from the mail alone, and log in with the code.
And a company created by an order without contact is claimed with its GAID and key."""

import re
import time

import pytest

from ilp.accounts import otp
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_user
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-new long passphrase 2027"


def _path_from_mail(email: str, template: str) -> str:
    body = OutboxMail.objects.filter(to=email, template=template).latest("pk").body_text
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def test_forgot_password_then_log_in_with_two_factor(page, login, shot, company):
    make_user("admin@acme.test", company=company, role="administrator", first_name="Ada")
    login("admin@acme.test", PASSWORD)
    page.wait_for_url(lambda url: "/login/" not in url)

    # Turn on two-factor sign-in from the profile.
    page.goto("/profile/")
    page.get_by_role("button", name="Set up two-factor sign-in").click()  # the profile's link
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    assert page.locator(".qr svg").is_visible()
    shot("two-factor-qr")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    page.get_by_label("Code from the app").fill(otp.totp_code(secret))
    page.get_by_role("button", name="Confirm and turn on").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    shot("recovery-codes")
    page.get_by_role("button", name="I have saved them: continue").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/login/" in url)

    # Forgot the password: the mail alone brings the person back.
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("Admin@Acme.test")
    page.get_by_role("button", name="Send the link").click()
    page.get_by_text("If admin@acme.test has an account").wait_for()
    shot("reset-sent")
    page.goto(_path_from_mail("admin@acme.test", "password_reset"))
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_text("This password is too short").wait_for()
    shot("reset-weak")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    page.get_by_text("Your new password is set. Log in with it.").wait_for()

    # The old password no longer works; the new one asks for the code in a second step.
    login("admin@acme.test", PASSWORD)
    assert page.get_by_role("alert").is_visible()
    login("admin@acme.test", NEW_PASSWORD)
    page.wait_for_url(lambda url: "/login/verify/" in url)
    shot("second-step")
    page.get_by_label("Code or recovery code").fill("000000")
    page.get_by_role("button", name="Verify and log in").click()
    page.get_by_text("The code is wrong").wait_for()
    # The code of the next step, as the phone shows it a moment later (the set-up's is used).
    page.get_by_label("Code or recovery code").fill(otp.totp_code(secret, time.time() + 30))
    page.get_by_role("button", name="Verify and log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    assert page.get_by_text("Ada Tester").is_visible()

    # The reset link is used up: the page says what to do.
    page.goto(_path_from_mail("admin@acme.test", "password_reset"))
    assert page.get_by_text("This link has been used already").is_visible()
    assert page.get_by_role("button", name="Ask for a new link").is_visible()
    shot("link-used")


def test_company_without_administrator_is_claimed_with_gaid_and_key(page, shot, staff_api):
    order = staff_api.post(
        "/orders",
        {
            "order_number": "SO-CLAIM-1",
            "kind": "new",
            "invoice_date": "2026-11-01",
            "end_customer": {"name": "Harbour Logistics", "country": "DE"},
            "items": [{"product": "WE", "seats": 10, "term_months": 12}],
        },
    ).json()
    page.goto("/login/")
    page.get_by_role("link", name="Claim it with its GAID and a subscription key").click()
    page.get_by_label("Your e-mail").fill("hanna@harbour.test")
    page.get_by_label("First name").fill("Hanna")
    page.get_by_label("Last name").fill("Hafen")
    page.get_by_label("Global Account ID (GAID)").fill(order["gaid"])
    page.get_by_label("One of the company's subscription keys").fill("SK-WRONG-KEY")
    page.get_by_role("button", name="Claim the account").click()
    page.get_by_text("do not belong together").wait_for()
    shot("claim-mismatch")
    page.get_by_label("One of the company's subscription keys").fill(order["subscription_key"])
    page.get_by_role("button", name="Claim the account").click()
    page.get_by_text("We have sent a mail to hanna@harbour.test").wait_for()
    shot("claim-sent")

    page.goto(_path_from_mail("hanna@harbour.test", "registration_claim"))
    page.get_by_label("First name").fill("Hanna")
    page.get_by_label("Last name").fill("Hafen")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Register and accept").click()
    page.get_by_text("Welcome to Harbour Logistics").wait_for()
    page.goto(f"/companies/{order['gaid']}/manage/")
    assert page.get_by_text("Your role: Administrator").is_visible()
    assert (
        ApiClient()
        .post("/auth/tokens", {"email": "hanna@harbour.test", "password": NEW_PASSWORD})
        .status_code
        == 201
    )
