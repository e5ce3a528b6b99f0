"""The self-service pages (rule 16): forgot password, new password, claim a company, change the
password, delete the account, the company's two-factor switch; each bad input is a readable
message on the page, never a 500."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.utils import timezone

from ilp.accounts.models import AccessRequest, AccountLink, Company, Membership, User
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_user
from tests.accounts.test_two_factor import enable

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long enough passphrase 42"


def _path_from_mail(email: str) -> str:
    body = OutboxMail.objects.filter(to=email).latest("pk").body_text
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_login_page_links_to_reset_and_claim():
    page = Client().get("/login/").content.decode()
    assert 'href="/password-reset/"' in page and 'href="/register/"' in page


def test_forgot_password_page_to_new_password_to_login():
    make_user("anna@acme.test")
    browser = Client()
    response = browser.post("/password-reset/", {"email": "Anna@Acme.test"})
    assert response.status_code == 200
    assert "If anna@acme.test has an account" in response.content.decode()
    path = _path_from_mail("anna@acme.test")
    assert path.startswith("/password-reset/ilpr_")
    page = browser.get(path)
    assert "For the account anna@acme.test" in page.content.decode()
    weak = browser.post(path, {"password1": "password", "password2": "password"})
    assert weak.status_code == 422 and "too common" in weak.content.decode()
    differ = browser.post(path, {"password1": NEW_PASSWORD, "password2": "other"})
    assert "The two passwords differ." in differ.content.decode()
    done = browser.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/login/"
    assert "Your new password is set" in browser.get("/login/").content.decode()
    again = browser.get(path)
    assert again.status_code == 409
    page = again.content.decode()
    assert "has been used already" in page and 'href="/password-reset/"' in page
    assert Client().get("/password-reset/ilpr_unknown").status_code == 404


def test_forgot_password_for_unknown_and_invalid_addresses():
    response = Client().post("/password-reset/", {"email": "nobody@acme.test"})
    assert response.status_code == 200 and "If nobody@acme.test has an account" in (
        response.content.decode()
    )
    bad = Client().post("/password-reset/", {"email": "not an address"})
    assert bad.status_code == 422 and "Enter a valid email address" in bad.content.decode()


def test_expired_reset_link_page_says_what_to_do():
    make_user("anna@acme.test")
    Client().post("/password-reset/", {"email": "anna@acme.test"})
    path = _path_from_mail("anna@acme.test")
    AccountLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().get(path)
    assert response.status_code == 409
    assert "This link has expired." in response.content.decode()
    assert "Ask for a new link" in response.content.decode()


def test_change_password_on_the_profile_page():
    user = make_user("anna@acme.test")
    browser = _logged_in(user)
    wrong = browser.post(
        "/profile/password/",
        {"current_password": "nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and "The current password is wrong." in wrong.content.decode()
    ok = browser.post(
        "/profile/password/",
        {"current_password": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert ok.status_code == 302
    assert browser.get("/profile/").status_code == 200  # this session stays
    assert authenticate(username=user.email, password=NEW_PASSWORD) == user


def test_delete_account_from_the_profile_through_the_mail(company):
    make_user("boss@acme.test", company=company, role="administrator")
    user = make_user("leaver@acme.test", company=company, role="user")
    browser = _logged_in(user)
    response = browser.post("/profile/delete/")
    assert response.status_code == 302
    assert "We sent a mail to leaver@acme.test" in browser.get("/profile/").content.decode()
    path = _path_from_mail(user.email)
    assert path.startswith("/account/delete/ilpd_")
    # The link needs the person's own login.
    assert Client().get(path).status_code == 302
    assert _logged_in(make_user("other@acme.test")).get(path).status_code == 404
    page = browser.get(path).content.decode()
    assert "Acme GmbH" in page and "Delete my account" in page
    done = browser.post(path)
    assert done.status_code == 200 and "is deleted" in done.content.decode()
    assert not User.objects.filter(email="leaver@acme.test").exists()
    assert browser.get("/profile/").status_code == 302


def test_last_administrator_sees_why_they_cannot_delete(company):
    user = make_user("solo@acme.test", company=company, role="administrator")
    browser = _logged_in(user)
    page = browser.get("/profile/").content.decode()
    assert "You are the last administrator of" in page and company.gaid in page
    browser.post("/profile/delete/")
    assert "last administrator of Acme GmbH" in browser.get("/profile/").content.decode()
    assert not OutboxMail.objects.filter(template="account_deletion").exists()


def _company_with_key() -> tuple[Company, str]:
    from ilp.licensing.models import SubscriptionKey

    company = Company.objects.create(gaid="GA7K3QXAB1", name="Harbour Logistics")
    SubscriptionKey.objects.create(company=company, key="SK-AAAA-BBBB-CCCC")
    return company, "SK-AAAA-BBBB-CCCC"


def test_claim_page_mails_the_invitation_and_reports_mismatch():
    company, key = _company_with_key()
    form = {"email": "hanna@harbour.test", "first_name": "Hanna", "last_name": "Hafen"}
    wrong = Client().post("/register/", {**form, "gaid": company.gaid, "subscription_key": "SK-X"})
    assert wrong.status_code == 422
    assert "do not belong together" in wrong.content.decode()
    ok = Client().post("/register/", {**form, "gaid": company.gaid, "subscription_key": key})
    assert ok.status_code == 202
    assert "We have sent a mail to hanna@harbour.test" in ok.content.decode()
    assert _path_from_mail("hanna@harbour.test").startswith("/invitations/ilpi_")


def test_claim_page_when_the_company_has_an_administrator():
    company, key = _company_with_key()
    make_user("boss@harbour.test", company=company, role="administrator")
    response = Client().post(
        "/register/",
        {
            "email": "hanna@harbour.test",
            "first_name": "Hanna",
            "last_name": "Hafen",
            "gaid": company.gaid,
            "subscription_key": key,
        },
    )
    assert response.status_code == 409
    assert "already has an administrator" in response.content.decode()
    manage = _logged_in(User.objects.get(email="boss@harbour.test")).get(
        f"/companies/{company.gaid}/manage/"
    )
    assert "hanna@harbour.test" in manage.content.decode()
    assert "claimed with GAID and key" in manage.content.decode()


def test_company_two_factor_switch_on_manage_company(company):
    admin = make_user("admin@acme.test", company=company, role="administrator")
    browser = _logged_in(admin)
    url = f"/companies/{company.gaid}/manage/security/"
    refused = browser.post(url, {"require_2fa": "on"})
    company.refresh_from_db()
    assert company.require_2fa is False  # not without their own second factor
    # Said next to the switch, which takes the focus (issue 24), not at the top of the page.
    page = refused.content.decode()
    assert refused.status_code in (403, 409, 422)
    switch = page[
        page.index('id="require-2fa"') : page.index("</label>", page.index('id="require-2fa"'))
    ]
    assert "autofocus" in switch and 'aria-describedby="require-2fa-error"' in switch
    error = page[page.index('id="require-2fa-error"') :]
    assert error.index("Turn on two-factor sign-in for yourself first") < 300
    assert '<div class="messages"' not in page
    enable(admin)
    browser.post(url, {"require_2fa": "on"})
    company.refresh_from_db()
    assert company.require_2fa is True
    user = make_user("user@acme.test", company=company, role="user")
    assert _logged_in(user).post(url, {}).status_code in (302, 403)
    company.refresh_from_db()
    assert company.require_2fa is True
    assert Membership.objects.filter(company=company).count() == 2


def test_token_with_an_expiry_from_the_profile(admin_user):
    browser = _logged_in(admin_user)
    browser.post("/profile/tokens/", {"name": "script", "expires_in_days": "30"})
    browser.post("/profile/tokens/", {"name": "forever", "expires_in_days": ""})
    page = browser.get("/profile/").content.decode()
    assert "script" in page and "forever" in page and "never" in page
    tokens = dict(admin_user.api_tokens.values_list("name", "expires_at"))
    assert tokens["forever"] is None
    assert timedelta(days=29) < tokens["script"] - timezone.now() <= timedelta(days=30)


def test_void_claim_link_page_says_so_and_asks_the_administrator_for_access():
    """Security review, third round: a claim link finalised after the company got an
    administrator makes nobody administrator; the page says why, never a 500."""
    company, key = _company_with_key()
    form = {"first_name": "Hanna", "last_name": "Hafen", "gaid": company.gaid}
    for email in ("hanna@harbour.test", "otto@harbour.test"):
        claim = {**form, "email": email, "subscription_key": key}
        assert Client().post("/register/", claim).status_code == 202
    first, second = _path_from_mail("hanna@harbour.test"), _path_from_mail("otto@harbour.test")
    person = {"first_name": "H", "last_name": "H", "password1": NEW_PASSWORD}
    assert Client().post(first, {**person, "password2": NEW_PASSWORD}).status_code == 302

    page = Client().get(second)
    assert page.status_code == 409
    text = page.content.decode()
    assert "has an administrator now" in text and "Ask its administrators for access" in text
    posted = Client().post(second, {**person, "password2": NEW_PASSWORD})
    assert posted.status_code == 409
    assert "They have been asked to invite you" in posted.content.decode()
    assert list(Membership.objects.filter(company=company).values_list("user__email", "role")) == [
        ("hanna@harbour.test", "administrator")
    ]
    assert AccessRequest.objects.filter(email="otto@harbour.test").count() == 1
    assert OutboxMail.objects.filter(
        to="otto@harbour.test", template="registration_claim_void"
    ).exists()
