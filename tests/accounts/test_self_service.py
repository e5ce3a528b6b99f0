"""People help themselves (DESIGN.md rule 16, API.md "Accounts, self-service"): password reset
and change, account deletion, claiming a company without administrator, named API tokens."""

import re
import statistics
import time
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ilp.accounts import services
from ilp.accounts.models import (
    AccessRequest,
    AccountLink,
    ApiToken,
    Invitation,
    Membership,
    User,
)
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_company, make_user, make_user_token
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long enough passphrase 42"


def _problem(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    if code:
        assert body["code"] == code, body
    return body


def _link(email: str, path: str) -> str:
    body = OutboxMail.objects.filter(to=email).latest("pk").body_text
    return re.search(rf"https?://\S+/{path}/(\S+)", body).group(1)


# --- password reset --------------------------------------------------------------------------


def test_reset_mails_a_single_use_link_and_the_new_password_works(api):
    user = make_user("anna@acme.test")
    response = api().post("/auth/password-reset", {"email": " ANNA@acme.test "})
    assert response.status_code == 202 and response.content == b""
    mail = OutboxMail.objects.get(to="anna@acme.test", template="password_reset")
    assert "http://127.0.0.1:8000/password-reset/ilpr_" in mail.body_text
    token = _link("anna@acme.test", "password-reset")
    link = AccountLink.objects.get(user=user)
    assert token not in link.token_hash and link.expires_at - link.created_at == timedelta(hours=1)

    response = api().post(f"/auth/password-reset/{token}", {"password": NEW_PASSWORD})
    assert response.status_code == 204, response.content
    assert authenticate(username="anna@acme.test", password=PASSWORD) is None
    assert authenticate(username="anna@acme.test", password=NEW_PASSWORD) == user
    assert OutboxMail.objects.filter(to=user.email, template="password_changed").exists()
    assert AuditEvent.objects.filter(action="user.password_reset", object_id=user.email).exists()
    # Used: 409; a token nobody issued: 404.
    again = api().post(f"/auth/password-reset/{token}", {"password": "yet another phrase 99"})
    _problem(again, 409, "link_used")
    _problem(api().post("/auth/password-reset/ilpr_nope", {"password": NEW_PASSWORD}), 404)


def test_reset_for_an_unknown_address_answers_the_same_and_mails_nobody(api):
    make_user("anna@acme.test")
    known = api().post("/auth/password-reset", {"email": "anna@acme.test"})
    unknown = api().post("/auth/password-reset", {"email": "nobody@acme.test"})
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert unknown.status_code == 202
    assert not OutboxMail.objects.filter(to="nobody@acme.test").exists()
    assert AccountLink.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the padding waits for the commit
def test_reset_takes_about_as_long_for_an_unknown_address(api, settings):
    settings.ILP_THROTTLE_MAIL_PER_ADDRESS = settings.ILP_THROTTLE_PASSWORD_RESET = ""
    make_user("anna@acme.test")
    client = api()

    def median_ms(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert client.post("/auth/password-reset", {"email": email}).status_code == 202
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    median_ms("warm@acme.test")  # warm up templates and caches
    from django.core.cache import cache

    cache.clear()
    known = median_ms("anna@acme.test")
    cache.clear()
    unknown = median_ms("nobody@acme.test")
    # Both take the padded minimum (150 ms by default), a little more on a slow machine.
    assert known >= 150 and unknown >= 150
    assert abs(known - unknown) < 15, (known, unknown)


def test_an_expired_or_superseded_link_is_409_and_a_weak_password_422(api):
    make_user("anna@acme.test", first_name="Anna")
    api().post("/auth/password-reset", {"email": "anna@acme.test"})
    first = _link("anna@acme.test", "password-reset")
    api().post("/auth/password-reset", {"email": "anna@acme.test"})
    second = _link("anna@acme.test", "password-reset")
    _problem(api().post(f"/auth/password-reset/{first}", {"password": NEW_PASSWORD}), 409)

    body = _problem(
        api().post(f"/auth/password-reset/{second}", {"password": "short"}), 422, "weak_password"
    )
    assert body["errors"][0]["loc"] == ["body", "password"]
    assert "too short" in body["detail"]
    body = _problem(
        api().post(f"/auth/password-reset/{second}", {"password": "anna@acme.test"}),
        422,
        "weak_password",
    )
    assert "too similar" in body["detail"]
    AccountLink.objects.filter(used_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    _problem(
        api().post(f"/auth/password-reset/{second}", {"password": NEW_PASSWORD}),
        409,
        "link_expired",
    )


def test_reset_ends_the_other_sessions():
    user = make_user("anna@acme.test")
    browser = Client()
    browser.force_login(user)
    assert browser.get("/profile/").status_code == 200
    services.password_reset_request(email=user.email)
    token = _link(user.email, "password-reset")
    services.password_reset_complete(token=token, password=NEW_PASSWORD)
    assert browser.get("/profile/").status_code == 302  # logged out


def test_reset_bad_input_is_a_problem_never_a_500(api):
    _problem(api().post("/auth/password-reset", "not json"), 400)
    _problem(api().post("/auth/password-reset", {}), 422, "validation_error")
    _problem(api().post("/auth/password-reset", {"email": "x" * 300}), 422)
    # Not an address at all: the same 202 as an unknown one.
    assert api().post("/auth/password-reset", {"email": "no-at-sign"}).status_code == 202


def test_reset_is_throttled_per_address_and_per_mailbox(api, settings):
    settings.ILP_THROTTLE_MAIL_PER_ADDRESS = "2/h"
    make_user("anna@acme.test")
    for _ in range(2):
        assert api().post("/auth/password-reset", {"email": "anna@acme.test"}).status_code == 202
    _problem(api().post("/auth/password-reset", {"email": "ANNA@acme.test"}), 429, "throttled")
    assert OutboxMail.objects.filter(template="password_reset").count() == 2


def test_a_stranger_cannot_use_up_the_owners_reset_requests(settings):
    # API.md, "Account and credential safety": 5 an hour per (account, client address), 20
    # per account (issue 19, finding 3).
    settings.ILP_PASSWORD_RESET_MIN_SECONDS = 0
    make_user("anna@acme.test")
    stranger = ApiClient(client=Client(REMOTE_ADDR="203.0.113.66"))
    body = {"email": "anna@acme.test"}
    for _ in range(5):
        assert stranger.post("/auth/password-reset", body).status_code == 202
    _problem(stranger.post("/auth/password-reset", body), 429, "throttled")
    owner = ApiClient(client=Client(REMOTE_ADDR="198.51.100.7"))
    assert owner.post("/auth/password-reset", body).status_code == 202
    page = Client(REMOTE_ADDR="198.51.100.8").post(reverse("accounts:password_reset_request"), body)
    assert page.status_code == 200
    # 20 an hour per account, from whatever addresses.
    for n in range(13):  # 7 so far
        client = ApiClient(client=Client(REMOTE_ADDR=f"10.0.{n // 5}.{n % 5 + 1}"))
        assert client.post("/auth/password-reset", body).status_code == 202, n
    _problem(owner.post("/auth/password-reset", body), 429, "throttled")
    assert OutboxMail.objects.filter(template="password_reset").count() == 20


def test_deactivated_person_gets_no_reset_mail(api):
    make_user("gone@acme.test", is_active=False)
    assert api().post("/auth/password-reset", {"email": "gone@acme.test"}).status_code == 202
    assert not OutboxMail.objects.filter(to="gone@acme.test").exists()


# --- change password -------------------------------------------------------------------------


def test_change_password_with_the_current_one(api):
    user = make_user("anna@acme.test")
    client = api(make_user_token(user))
    body = _problem(
        client.post("/me/password", {"current_password": "wrong", "new_password": NEW_PASSWORD}),
        422,
        "wrong_password",
    )
    assert body["errors"][0]["loc"] == ["body", "current_password"]
    _problem(
        client.post("/me/password", {"current_password": PASSWORD, "new_password": "12345678901"}),
        422,
        "weak_password",
    )
    response = client.post(
        "/me/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    assert authenticate(username=user.email, password=NEW_PASSWORD) == user
    # The token it was made with was had with the old password: revoked too (API.md,
    # "Account and credential safety").
    _problem(client.get("/me"), 401)


# API.md, "Account and credential safety": a reset or change revokes the person's API tokens
# and ends their other sessions (issue 19, finding 5).


def test_a_password_reset_revokes_every_api_token_and_ends_every_session(api):
    user = make_user("anna@acme.test")
    stolen, script = api(make_user_token(user)), api(make_user_token(user))
    other = make_user("bert@acme.test")
    bystander = api(make_user_token(other))
    session = Client()
    session.force_login(user)
    assert session.get("/profile/").status_code == 200
    api().post("/auth/password-reset", {"email": user.email})
    token = _link(user.email, "password-reset")
    assert (
        api().post(f"/auth/password-reset/{token}", {"password": NEW_PASSWORD}).status_code == 204
    )
    _problem(stolen.get("/me"), 401)
    _problem(script.get("/me"), 401)
    assert session.get("/profile/").status_code == 302
    assert session.get("/api/v1/me").status_code == 401
    assert bystander.get("/me").status_code == 200  # another person's token stays
    assert not user.api_tokens.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 2


def test_a_password_change_by_token_revokes_every_api_token_and_ends_the_sessions(api):
    user = make_user("anna@acme.test")
    client, other_token = api(make_user_token(user)), api(make_user_token(user))
    session = Client()
    session.force_login(user)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/me/password", body).status_code == 204
    _problem(client.get("/me"), 401)
    _problem(other_token.get("/me"), 401)
    assert session.get("/profile/").status_code == 302
    login = {"email": user.email, "password": NEW_PASSWORD}
    assert api().post("/auth/tokens", login).status_code == 201


def test_change_password_by_session_keeps_this_session_and_ends_the_others():
    user = make_user("anna@acme.test")
    this, other = Client(), Client()
    token = ApiClient(make_user_token(user))
    this.force_login(user)
    other.force_login(user)
    this.get("/profile/")
    response = this.post(
        "/api/v1/me/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 204, response.content
    assert this.get("/profile/").status_code == 200
    assert other.get("/profile/").status_code == 302
    _problem(token.get("/me"), 401)


# --- deletion --------------------------------------------------------------------------------


def test_deletion_by_mailed_link_removes_account_memberships_and_tokens(api, company):
    make_user("boss@acme.test", company=company, role="administrator")
    user = make_user("leaver@acme.test", company=company, role="administrator")
    token = make_user_token(user)
    client = api(token)
    assert client.post("/me/deletion").status_code == 202
    link = _link(user.email, "account/delete")
    assert link.startswith("ilpd_")
    # Another person's session or token cannot use the link.
    other = api(make_user_token(make_user("nosy@acme.test", company=company)))
    _problem(other.post(f"/me/deletion/{link}"), 404, "link_not_found")

    response = client.post(f"/me/deletion/{link}")
    assert response.status_code == 204, response.content
    assert not User.objects.filter(email="leaver@acme.test").exists()
    assert not Membership.objects.filter(user_id=user.pk).exists()
    assert not ApiToken.objects.filter(user_id=user.pk).exists()
    assert client.get("/me").status_code == 401
    removed = AuditEvent.objects.get(action="member.removed", company=company)
    assert removed.object_id == "leaver@acme.test" and removed.actor_label == "leaver@acme.test"
    assert removed.actor_user_id is None  # the account row is gone; the address stays
    assert AccountLink.objects.get(email="leaver@acme.test").used_at is not None


def test_deletion_refused_for_a_last_administrator_naming_the_companies(api, company):
    other = make_company(name="Zeta AG")
    user = make_user("solo@acme.test", company=company, role="administrator")
    Membership.objects.create(user=user, company=other, role="administrator")
    client = api(make_user_token(user))
    body = _problem(client.post("/me/deletion"), 409, "last_administrator")
    assert "Acme GmbH" in body["detail"] and "Zeta AG" in body["detail"]
    assert other.gaid in body["detail"]
    assert not OutboxMail.objects.filter(template="account_deletion").exists()


def test_deletion_link_rechecks_the_last_administrator_rule(api, company):
    colleague = make_user("two@acme.test", company=company, role="administrator")
    user = make_user("one@acme.test", company=company, role="administrator")
    client = api(make_user_token(user))
    assert client.post("/me/deletion").status_code == 202
    link = _link(user.email, "account/delete")
    services.member_role_change(
        actor=Actor.for_user(user), company=company, email=colleague.email, role="user"
    )
    _problem(client.post(f"/me/deletion/{link}"), 409, "last_administrator")
    assert User.objects.filter(pk=user.pk).exists()


def test_deletion_link_expires(api):
    user = make_user("anna@acme.test")
    client = api(make_user_token(user))
    client.post("/me/deletion")
    link = _link(user.email, "account/delete")
    AccountLink.objects.update(expires_at=timezone.now())
    _problem(client.post(f"/me/deletion/{link}"), 409, "link_expired")


# --- registrations: claiming a company (FAQ Q5) ----------------------------------------------


def _order(staff_api, *, contact=None, gaid=None):
    body = {
        "order_number": f"SO-{time.monotonic_ns()}",
        "kind": "new",
        "invoice_date": timezone.localdate().isoformat(),
        "end_customer": {"name": "Harbour Logistics", "country": "DE"},
        "items": [{"product": "WE", "seats": 10, "term_months": 12}],
    }
    if gaid:
        body["end_customer"]["gaid"] = gaid
    if contact:
        body["contact"] = contact
    response = staff_api.post("/orders", body)
    assert response.status_code == 201, response.content
    return response.json()


def _claim(api, **fields):
    body = {"email": "hanna@harbour.test", "first_name": "Hanna", "last_name": "Hafen"} | fields
    return api().post("/registrations", body)


def test_company_without_contact_is_claimed_with_gaid_and_key(api, staff_api):
    order = _order(staff_api)
    gaid, key = order["gaid"], order["subscription_key"]
    response = _claim(api, gaid=gaid.lower(), subscription_key=f" {key.lower()} ")
    assert response.status_code == 202, response.content
    mail = OutboxMail.objects.get(to="hanna@harbour.test")
    assert mail.template == "registration_claim" and "Harbour Logistics" in mail.subject
    token = re.search(r"/invitations/(\S+)", mail.body_text).group(1)
    info = api().get(f"/invitations/{token}").json()
    assert (info["gaid"], info["role"], info["account_exists"]) == (gaid, "administrator", False)
    response = api().post(
        f"/invitations/{token}/accept",
        {"first_name": "Hanna", "last_name": "Hafen", "password": NEW_PASSWORD},
    )
    assert response.json() == {"gaid": gaid, "role": "administrator"}
    # She is the administrator now and can invite her partner (FAQ Q5).
    hanna = authenticate(username="hanna@harbour.test", password=NEW_PASSWORD)
    admin = api(make_user_token(hanna))
    invited = admin.post(
        f"/companies/{gaid}/invitations", {"email": "sp@partner.test", "role": "service_provider"}
    )
    assert invited.status_code == 201
    assert AuditEvent.objects.filter(action="company.claimed", company__gaid=gaid).exists()


def test_a_key_typed_without_dashes_or_with_spaces_proves_the_claim(api, staff_api):
    """The claim form took only the key as printed; a key typed as `sk 4k3q…` or without its
    dashes (as delivery tokens already are read) proves the claim too."""
    for typed in (
        lambda k: k.replace("-", "").lower(),
        lambda k: " ".join(k.split("-")),
        lambda k: k.replace("0", "O"),
    ):
        order = _order(staff_api)
        response = _claim(
            api, gaid=order["gaid"], subscription_key=typed(order["subscription_key"])
        )
        assert response.status_code == 202, (order["subscription_key"], response.content)
        Invitation.objects.all().delete()


def test_claim_with_a_key_of_another_company_or_an_unknown_gaid_is_422(api, staff_api):
    mine = _order(staff_api)
    theirs = _order(staff_api)
    for gaid, key in (
        (mine["gaid"], theirs["subscription_key"]),
        ("GA00000000", mine["subscription_key"]),
        (mine["gaid"], ""),
    ):
        body = _problem(
            _claim(api, gaid=gaid, subscription_key=key), 422, "registration_not_matched"
        )
        assert body["errors"][0]["loc"] == ["body", "subscription_key"]
    assert (
        not Invitation.objects.exists()
        and not OutboxMail.objects.filter(to="hanna@harbour.test").exists()
    )


def test_claim_of_a_company_with_administrator_is_409_and_asks_them(api, staff_api):
    order = _order(staff_api, contact={"email": "boss@harbour.test", "first_name": "B"})
    assert order["contact_outcome"] == "administrator_created"
    body = _problem(
        _claim(api, gaid=order["gaid"], subscription_key=order["subscription_key"]),
        409,
        "company_has_administrator",
    )
    assert "Harbour Logistics" in body["detail"]
    request = AccessRequest.objects.get(email="hanna@harbour.test")
    assert request.company.gaid == order["gaid"] and request.order_number == ""
    mail = OutboxMail.objects.get(to="boss@harbour.test", template="access_requested_registration")
    assert "hanna@harbour.test" in mail.body_text
    assert not Invitation.objects.filter(email="hanna@harbour.test").exists()


def test_claim_by_an_existing_member_makes_them_administrator(api, staff_api):
    order = _order(staff_api)
    company_gaid = order["gaid"]
    member = make_user("hanna@harbour.test")
    Membership.objects.create(user=member, company_id=_company_id(company_gaid), role="user")
    assert _claim(api, gaid=company_gaid, subscription_key=order["subscription_key"]).status_code
    token = re.search(
        r"/invitations/(\S+)", OutboxMail.objects.get(to=member.email).body_text
    ).group(1)
    response = api(make_user_token(member)).post(f"/invitations/{token}/accept")
    assert response.json() == {"gaid": company_gaid, "role": "administrator"}


def _claim_token(email: str) -> str:
    body = OutboxMail.objects.filter(to=email, template="registration_claim").latest("pk")
    return re.search(r"/invitations/(\S+)", body.body_text).group(1)


def test_second_claim_link_finalised_after_the_first_is_void(api, staff_api):
    """Security review, third round: two people claim a company without administrator; the
    first finalises; the second link must not make a second administrator."""
    order = _order(staff_api)
    gaid, key = order["gaid"], order["subscription_key"]
    assert _claim(api, gaid=gaid, subscription_key=key).status_code == 202
    assert (
        _claim(
            api, gaid=gaid, subscription_key=key, email="otto@harbour.test", first_name="Otto"
        ).status_code
        == 202
    )
    first, second = _claim_token("hanna@harbour.test"), _claim_token("otto@harbour.test")
    person = {"first_name": "Hanna", "last_name": "Hafen", "password": NEW_PASSWORD}
    assert api().post(f"/invitations/{first}/accept", person).json()["role"] == "administrator"

    # The link says it is void, readably, before anyone finalises it.
    looked_up = _problem(api().get(f"/invitations/{second}"), 409, "company_has_administrator")
    assert "Harbour Logistics" in looked_up["detail"]
    otto = {"first_name": "Otto", "last_name": "Ofen", "password": NEW_PASSWORD}
    body = _problem(
        api().post(f"/invitations/{second}/accept", otto), 409, "company_has_administrator"
    )
    assert "asked to invite you" in body["detail"]
    assert not User.objects.filter(email="otto@harbour.test").exists()
    assert list(
        Membership.objects.filter(company__gaid=gaid).values_list("user__email", "role")
    ) == [("hanna@harbour.test", "administrator")]
    # The administrator is asked to invite Otto, and Otto is told why, in the same transaction.
    request = AccessRequest.objects.get(email="otto@harbour.test", resolved_at__isnull=True)
    assert (request.first_name, request.last_name) == ("Otto", "Ofen")
    assert OutboxMail.objects.filter(
        to="hanna@harbour.test", template="access_requested_registration"
    ).exists()
    told = OutboxMail.objects.get(to="otto@harbour.test", template="registration_claim_void")
    assert "Harbour Logistics" in told.subject
    # Trying again changes nothing and mails nobody again.
    mails = OutboxMail.objects.count()
    _problem(api().post(f"/invitations/{second}/accept", otto), 409, "company_has_administrator")
    assert OutboxMail.objects.count() == mails and AccessRequest.objects.count() == 1


def test_claim_link_of_an_existing_user_is_void_once_the_contact_became_administrator(
    api, staff_api
):
    order = _order(staff_api)
    gaid, key = order["gaid"], order["subscription_key"]
    member = make_user("hanna@harbour.test")
    assert _claim(api, gaid=gaid, subscription_key=key).status_code == 202
    token = _claim_token(member.email)
    # An order now names a contact, who becomes the administrator (rule 4).
    _order(staff_api, gaid=gaid, contact={"email": "boss@harbour.test", "first_name": "B"})
    _problem(
        api(make_user_token(member)).post(f"/invitations/{token}/accept"),
        409,
        "company_has_administrator",
    )
    assert not Membership.objects.filter(user=member).exists()
    assert AccessRequest.objects.get(email=member.email).first_name == member.first_name


def _company_id(gaid):
    from ilp.accounts.models import Company

    return Company.objects.get(gaid=gaid).pk


def test_claim_bad_input(api):
    body = _problem(
        api().post(
            "/registrations",
            {
                "email": "not-an-address",
                "first_name": " ",
                "last_name": "X",
                "gaid": "GA1",
                "subscription_key": "SK",
            },
        ),
        422,
        "validation_error",
    )
    assert {tuple(e["loc"]) for e in body["errors"]} == {
        ("body", "email"),
        ("body", "first_name"),
    }
    _problem(api().post("/registrations", {"email": "a@b.test"}), 422, "validation_error")


# --- API tokens ------------------------------------------------------------------------------


def test_login_tokens_are_named_and_expire_and_are_listed_and_revocable(api):
    user = make_user("anna@acme.test")
    raw = api().post("/auth/tokens", {"email": user.email, "password": PASSWORD}).json()["token"]
    token = ApiToken.objects.get(user=user)
    assert token.name == "API login"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    api().post(
        "/auth/tokens",
        {"email": user.email, "password": PASSWORD, "name": "ci", "expires_in_days": 7},
    )
    client = api(raw)
    listed = client.get("/me/tokens").json()
    assert listed["count"] == 2
    assert [t["name"] for t in listed["items"]] == ["ci", "API login"]
    assert set(listed["items"][0]) == {
        "id",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "scopes",
        "companies",
    }
    ci_id = listed["items"][0]["id"]
    assert client.delete(f"/me/tokens/{ci_id}").status_code == 204
    assert [t["name"] for t in client.get("/me/tokens").json()["items"]] == ["API login"]
    # Another person's token id is 404, never theirs to revoke.
    other = api(make_user_token(make_user("bob@acme.test")))
    _problem(other.delete(f"/me/tokens/{token.pk}"), 404, "token_not_found")
    _problem(
        api().post(
            "/auth/tokens", {"email": user.email, "password": PASSWORD, "expires_in_days": 0}
        ),
        422,
    )


def test_an_expired_token_stops_working_and_leaves_the_list(api):
    user = make_user("anna@acme.test")
    raw = make_user_token(user)
    keep = make_user_token(user)
    ApiToken.objects.filter(user=user).exclude(pk=ApiToken.objects.latest("pk").pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert api(raw).get("/me").status_code == 401
    assert api(keep).get("/me/tokens").json()["count"] == 1


def test_token_list_queries_do_not_grow(api, django_assert_max_num_queries):
    user = make_user("anna@acme.test")
    client = api(make_user_token(user))
    for _ in range(20):
        make_user_token(user)
    with django_assert_max_num_queries(4):
        assert client.get("/me/tokens").json()["count"] == 21


def test_unknown_account_cannot_be_probed_by_a_client_that_is_not_json():
    response = ApiClient().post("/auth/password-reset", b"\xff\xfe")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_reset_with_an_idempotency_key_replays_and_mails_once(api):
    make_user("anna@acme.test")
    headers = {"Idempotency-Key": "reset-1"}
    first = api().post("/auth/password-reset", {"email": "anna@acme.test"}, headers=headers)
    again = api().post("/auth/password-reset", {"email": "anna@acme.test"}, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert OutboxMail.objects.filter(template="password_reset").count() == 1


def test_claim_answered_409_is_replayed_with_its_access_request_kept(api, staff_api):
    order = _order(staff_api, contact={"email": "boss@harbour.test", "first_name": "B"})
    headers = {"Idempotency-Key": "claim-1"}
    body = {
        "email": "hanna@harbour.test",
        "first_name": "Hanna",
        "last_name": "Hafen",
        "gaid": order["gaid"],
        "subscription_key": order["subscription_key"],
    }
    first = api().post("/registrations", body, headers=headers)
    again = api().post("/registrations", body, headers=headers)
    assert first.status_code == again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert AccessRequest.objects.filter(email="hanna@harbour.test").count() == 1
