"""The accounts pages: accept an invitation, manage company, profile, login."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from ilp.accounts import services
from ilp.accounts.models import AccessRequest, ApiToken, Invitation, Membership, User
from ilp.accounts.selectors import MailTopic, mail_recipients
from ilp.core.actors import Actor
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_company, make_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "a-long enough passphrase 42"


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _invite(company, email, role="user"):
    _inv, token = services.invitation_create(
        actor=Actor.system(), company=company, email=email, role=role
    )
    return token


def _manage(company):
    return reverse("accounts:manage_company", kwargs={"gaid": company.gaid})


# --- login ---------------------------------------------------------------------------------


def test_login_error_does_not_claim_case_sensitive_email(admin_user):
    r = Client().post(reverse("web:login"), {"username": "admin@acme.test", "password": "x"})
    text = r.content.decode()
    assert r.status_code == 200 and "e-mail or password is wrong" in text
    assert "both fields may be case-sensitive" not in text


def test_login_is_throttled(admin_user, settings):
    settings.ILP_THROTTLE_LOGIN = "2/m"
    client = Client()
    for _ in range(2):
        client.post(reverse("web:login"), {"username": "admin@acme.test", "password": "x"})
    r = client.post(reverse("web:login"), {"username": "admin@acme.test", "password": PASSWORD})
    assert r.status_code == 429 and int(r["Retry-After"]) >= 1
    assert "Too many attempts. Try again in" in r.content.decode()
    assert "_auth_user_id" not in client.session


# --- invitation page -----------------------------------------------------------------------


def test_new_person_registers_and_lands_logged_in(company):
    token = _invite(company, "new@x.test", role="service_provider")
    client = Client()
    url = f"/invitations/{token}"
    page = client.get(url).content.decode()
    assert "Acme GmbH" in page and "Service provider" in page and company.gaid in page
    assert 'name="password2"' in page
    r = client.post(
        url,
        {"first_name": "N", "last_name": "New", "password1": "abc", "password2": "abd"},
    )
    assert r.status_code == 200 and "The two passwords differ." in r.content.decode()
    r = client.post(
        url, {"first_name": "N", "last_name": "New", "password1": "123", "password2": "123"}
    )
    assert "too short" in r.content.decode()  # Django's validators speak on the page
    r = client.post(
        url,
        {
            "first_name": "Nina",
            "last_name": "New",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert r.status_code == 302 and company.gaid in r["Location"]
    user = User.objects.get(email="new@x.test")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert Membership.objects.get(user=user).role == "service_provider"
    # The link is single use.
    assert client.get(url).status_code == 409


def test_existing_user_logs_in_then_accepts(company):
    person = make_user("old@x.test", company=make_company())
    token = _invite(company, "old@x.test")
    url = f"/invitations/{token}"
    page = Client().get(url).content.decode()
    assert "Log in to accept" in page and 'name="password1"' not in page
    assert Client().post(url).status_code == 302  # to the login page
    client = _client(person)
    assert "Accept the invitation" in client.get(url).content.decode()
    r = client.post(url)
    assert r.status_code == 302
    assert Membership.objects.filter(user=person, company=company).exists()


def test_someone_else_logged_in_is_told_and_cannot_accept(company):
    token = _invite(company, "her@x.test")
    client = _client(make_user("him@x.test"))
    page = client.get(f"/invitations/{token}").content.decode()
    assert "This invitation is for her@x.test" in page
    client.post(f"/invitations/{token}", {"first_name": "A", "last_name": "B"})
    assert Invitation.objects.get().accepted_at is None


def test_unknown_withdrawn_invitation_pages(company):
    assert Client().get("/invitations/ilpi_nothing").status_code == 404
    token = _invite(company, "w@x.test")
    services.invitation_withdraw(
        actor=Actor.system(), company=company, invitation_id=Invitation.objects.get().pk
    )
    r = Client().get(f"/invitations/{token}")
    assert r.status_code == 409 and "withdrawn" in r.content.decode()


def test_pending_contact_finalises_registration_from_mail(company, settings):
    services.contact_person_handle(
        actor=Actor.system(),
        company=company,
        contact={"email": "pat@c.test", "first_name": "Pat", "last_name": "C"},
        order_number="O-1",
    )
    body = OutboxMail.objects.get(to="pat@c.test").body_text
    token = re.search(r"/invitations/(\S+)", body).group(1)
    client = Client()
    r = client.post(
        f"/invitations/{token}",
        {
            "first_name": "Pat",
            "last_name": "Contact",
            "password1": GOOD_PASSWORD,
            "password2": GOOD_PASSWORD,
        },
    )
    assert r.status_code == 302
    user = User.objects.get(email="pat@c.test")
    assert user.check_password(GOOD_PASSWORD) and user.last_name == "Contact"
    assert Membership.objects.get(user=user, company=company).role == "administrator"


# --- manage company ------------------------------------------------------------------------


def test_manage_page_for_admin_shows_everything(admin_user, company, django_assert_max_num_queries):
    for n in range(10):
        make_user(f"m{n}@acme.test", company=company)
        _invite(company, f"i{n}@x.test")
        AccessRequest.objects.create(company=company, email=f"r{n}@x.test", order_number=f"O{n}")
    client = _client(admin_user)
    with django_assert_max_num_queries(20):
        r = client.get(_manage(company))
    page = r.content.decode()
    assert r.status_code == 200
    assert company.gaid in page and "Copy" in page
    assert "Send invitation" in page and "Pending invitations" in page
    assert "r9@x.test" in page and "i9@x.test" in page and "m9@acme.test" in page
    assert 'name="street"' in page  # editable details


@pytest.mark.parametrize("role", ["user", "service_provider"])
def test_manage_page_is_read_only_below_administrator(company, role):
    person = make_user("p@acme.test", company=company, role=role)
    make_user("admin@acme.test", company=company, role="administrator")
    _invite(company, "pending@x.test")
    AccessRequest.objects.create(company=company, email="asks@x.test", order_number="O-1")
    page = _client(person).get(_manage(company)).content.decode()
    assert "admin@acme.test" in page and company.gaid in page
    assert "pending@x.test" in page and "asks@x.test" in page  # read-only lists
    assert "Send invitation" not in page and 'name="street"' not in page
    assert "Remove" not in page and "Withdraw" not in page and "Dismiss" not in page
    r = _client(person).post(
        reverse("accounts:invitation_send", kwargs={"gaid": company.gaid}),
        {"email": "x@y.test", "role": "user"},
    )
    assert r.status_code == 403
    assert not Invitation.objects.filter(email="x@y.test").exists()


def test_manage_page_of_another_company_is_404(company):
    outsider = make_user("o@other.test", company=make_company())
    assert _client(outsider).get(_manage(company)).status_code == 404


def test_invite_via_htmx_returns_the_people_block(admin_user, company):
    client = _client(admin_user)
    url = reverse("accounts:invitation_send", kwargs={"gaid": company.gaid})
    r = client.post(url, {"email": "n@x.test", "role": "user"}, headers={"HX-Request": "true"})
    page = r.content.decode()
    assert r.status_code == 200 and "<html" not in page
    assert "An invitation was sent to n@x.test" in page and "Pending invitations" in page
    r = client.post(url, {"email": "nope", "role": "user"}, headers={"HX-Request": "true"})
    assert "Enter a valid email address" in r.content.decode()
    r = client.post(
        url, {"email": "admin@acme.test", "role": "user"}, headers={"HX-Request": "true"}
    )
    assert "already is a member" in r.content.decode()


def test_role_change_remove_and_last_admin_message(admin_user, company):
    client = _client(admin_user)
    make_user("u@acme.test", company=company)

    def url(name, email):
        return reverse(f"accounts:{name}", kwargs={"gaid": company.gaid, "email": email})

    hx = {"HX-Request": "true"}
    r = client.post(url("member_role", "u@acme.test"), {"role": "service_provider"}, headers=hx)
    assert "u@acme.test is now Service provider" in r.content.decode()
    r = client.post(url("member_role", "admin@acme.test"), {"role": "user"}, headers=hx)
    assert "last administrator" in r.content.decode()
    r = client.post(url("member_remove", "u@acme.test"), headers=hx)
    assert "u@acme.test was removed" in r.content.decode()
    assert not Membership.objects.filter(user__email="u@acme.test").exists()
    # Without htmx: redirect back with a message.
    r = client.post(url("member_remove", "admin@acme.test"), follow=True)
    assert "last administrator" in r.content.decode()


def test_withdraw_and_access_request_invite(admin_user, company):
    client = _client(admin_user)
    _invite(company, "w@x.test")
    inv = Invitation.objects.get()
    hx = {"HX-Request": "true"}
    r = client.post(
        reverse(
            "accounts:invitation_withdraw", kwargs={"gaid": company.gaid, "invitation_id": inv.pk}
        ),
        headers=hx,
    )
    assert "was withdrawn" in r.content.decode()
    ar = AccessRequest.objects.create(company=company, email="c@x.test", order_number="O-7")
    r = client.post(
        reverse(
            "accounts:access_request_invite",
            kwargs={"gaid": company.gaid, "access_request_id": ar.pk},
        ),
        {"role": "service_provider"},
        headers=hx,
    )
    assert "An invitation was sent to c@x.test" in r.content.decode()
    assert Invitation.objects.get(email="c@x.test").role == "service_provider"


def test_company_details_edit(admin_user, company):
    client = _client(admin_user)
    url = reverse("accounts:company_edit", kwargs={"gaid": company.gaid})
    r = client.post(url, {"name": "Acme AG", "city": "Bonn", "country": "de"}, follow=True)
    assert "The company details are saved." in r.content.decode()
    company.refresh_from_db()
    assert (company.name, company.city, company.country) == ("Acme AG", "Bonn", "DE")
    r = client.post(url, {"name": "", "country": "de"})
    assert r.status_code == 422


# --- profile -------------------------------------------------------------------------------


def test_profile_update_and_the_two_opt_ins(company):
    other = make_company(name="Beta")
    person = make_user("p@acme.test", company=company, role="user")
    Membership.objects.create(user=person, company=other, role="service_provider")
    client = _client(person)
    assert "Your profile" in client.get(reverse("accounts:profile")).content.decode()
    r = client.post(
        reverse("accounts:profile"),
        {
            "first_name": "Paula",
            "last_name": "P",
            "language": "de",
            "default_company": other.gaid,
            f"notify-expiry-{company.gaid}": "on",
            f"notify-new_key-{other.gaid}": "on",
        },
    )
    assert r.status_code == 302 and r.cookies["django_language"].value == "de"
    person.refresh_from_db()
    assert (person.first_name, person.language, person.default_company) == ("Paula", "de", other)
    opt_ins = dict(
        (gaid, (expiry, new_key))
        for gaid, expiry, new_key in Membership.objects.filter(user=person).values_list(
            "company__gaid", "notify", "notify_new_key"
        )
    )
    assert opt_ins == {company.gaid: (True, False), other.gaid: (False, True)}
    assert mail_recipients(company=company, topic=MailTopic.EXPIRY) == [person]
    assert mail_recipients(company=company, topic=MailTopic.NEW_KEY) == []
    assert mail_recipients(company=other, topic=MailTopic.NEW_KEY) == [person]
    assert mail_recipients(company=other) == []  # no topic: the expiry opt-in, as before
    r = client.post(
        reverse("accounts:profile"),
        {"first_name": "", "last_name": "P", "language": "fr", "default_company": "GAXX"},
    )
    assert r.status_code == 422


def test_profile_shows_administrators_always_get_the_mails(admin_user, company):
    other = make_company(name="Beta")
    Membership.objects.create(user=admin_user, company=other, role="user", notify=False)
    page = _client(admin_user).get(reverse("accounts:profile")).content.decode()
    boxes = dict(re.findall(r'<input type="checkbox" name="notify-(\w+-\w+)"([^>]*)>', page))
    for topic in ("expiry", "new_key"):
        mine, theirs = boxes[f"{topic}-{company.gaid}"], boxes[f"{topic}-{other.gaid}"]
        assert "checked" in mine and "disabled" in mine
        assert "checked" not in theirs and "disabled" not in theirs
    assert page.count("administrators always get them") == 1


def test_profile_tokens_shown_once_and_revoked(admin_user):
    client = _client(admin_user)
    r = client.post(
        reverse("accounts:token_create"), {"name": "script"}, headers={"HX-Request": "true"}
    )
    page = r.content.decode()
    token = re.search(r'id="new-token"[^>]*>(ilpu_[^<]+)<', page).group(1)
    assert "shown only once" in page
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert token not in client.get(reverse("accounts:profile")).content.decode()
    api_token = ApiToken.objects.get(name="script")
    client.post(reverse("accounts:token_revoke", kwargs={"token_id": api_token.pk}))
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    r = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_new_people_follow_their_browser_language(db, company):
    make_user("neu@acme.test", company=company, role="user")
    client = Client(headers={"accept-language": "de"})
    response = client.post("/login/", {"username": "neu@acme.test", "password": PASSWORD})
    assert response.status_code == 302
    assert "django_language" not in response.cookies  # no profile choice overrides the browser
    page = client.get(response["Location"], follow=True)
    assert 'lang="de"' in page.content.decode()


def test_choosing_as_my_browser_forgets_the_language_cookie(db, company):
    person = make_user("p@acme.test", company=company, role="user", language="de")
    client = Client()
    client.force_login(person)
    response = client.post(
        "/profile/",
        {"first_name": "P", "last_name": "Q", "language": "", "default_company": ""},
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == ""  # deleted
    person.refresh_from_db()
    assert person.language == ""


def test_country_is_a_select_of_iso_countries(company, admin_user):

    client = Client()
    client.force_login(admin_user)
    url = f"/companies/{company.gaid}/manage/"
    page = client.get(url).content.decode()
    assert '<select name="country"' in page and '<option value="DE"' in page
    assert ">Germany<" in page and ">Georgia<" in page
    refused = client.post(url, {"name": company.name, "country": "GERMANY"})
    company.refresh_from_db()
    assert company.country == "DE" and refused.status_code in (200, 422)


def test_token_created_without_htmx_uses_post_redirect_get(admin_user):
    client = _client(admin_user)
    r = client.post(reverse("accounts:token_create"), {"name": "plain"})
    assert r.status_code == 302 and r["Location"] == reverse("accounts:profile")
    shown = client.get(r["Location"]).content.decode()
    assert re.search(r'id="new-token"[^>]*>ilpu_', shown)
    again = client.get(reverse("accounts:profile")).content.decode()
    assert "ilpu_" not in again
    assert ApiToken.objects.filter(name="plain").count() == 1
