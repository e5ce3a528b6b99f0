"""Sessions and sign-ins: GET/DELETE /me/sessions, GET /me/sign-ins, the mail on a browser
not seen before, last_seen_at at most once a minute, and password changes ending sessions."""

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from ilp.accounts.models import SignIn, UserSession
from ilp.accounts.signin import BROWSER_COOKIE, SESSION_SEEN_AT
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import PASSWORD, make_company, make_user
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def _browser(email="ann@acme.test", password=PASSWORD, agent="Firefox/1", cookie=None):
    client = Client(HTTP_USER_AGENT=agent)
    if cookie:
        client.cookies[BROWSER_COOKIE] = cookie
    response = client.post("/login/", {"username": email, "password": password})
    return client, response


@pytest.fixture
def ann():
    return make_user("ann@acme.test", company=make_company(name="Acme"))


def test_sessions_are_listed_and_one_can_be_ended(ann):
    first, _ = _browser(agent="Firefox/1")
    second, _ = _browser(agent="Chrome/2")
    items = ApiClient(client=first).get("/me/sessions").json()
    assert len(items) == 2
    mine = next(i for i in items if i["current"])
    other = next(i for i in items if not i["current"])
    assert mine["user_agent"] == "Firefox/1" and other["user_agent"] == "Chrome/2"
    assert mine["method"] == "password" and mine["address"] == "127.0.0.1"
    assert set(mine) == {
        "id",
        "created_at",
        "last_seen_at",
        "address",
        "user_agent",
        "method",
        "current",
    }
    assert ApiClient(client=first).delete(f"/me/sessions/{other['id']}").status_code == 204
    # The other browser is signed out at once.
    assert second.get("/profile/").status_code == 302
    assert first.get("/profile/").status_code == 200
    assert ApiClient(client=first).delete(f"/me/sessions/{other['id']}").status_code == 404


def test_someone_elses_session_is_404(ann):
    make_user("bob@acme.test")
    bob, _ = _browser("bob@acme.test")
    mine, _ = _browser()
    theirs = UserSession.objects.get(user__email="bob@acme.test")
    assert ApiClient(client=mine).delete(f"/me/sessions/{theirs.pk}").status_code == 404
    assert bob.get("/profile/").status_code == 200


def test_sign_ins_list_failed_ones_too(ann):
    _browser(password="wrong password")
    client, _ = _browser()
    items = ApiClient(client=client).get("/me/sign-ins").json()
    assert [i["result"] for i in items] == ["succeeded", "failed"]
    assert set(items[0]) == {"at", "address", "user_agent", "method", "result"}


def test_sign_ins_show_the_last_50(ann):
    SignIn.objects.bulk_create(
        SignIn(user=ann, method="password", result="failed") for _ in range(60)
    )
    client, _ = _browser()
    assert len(ApiClient(client=client).get("/me/sign-ins").json()) == 50


def test_a_browser_not_seen_before_is_mailed(ann):
    client, response = _browser()
    cookie = response.cookies[BROWSER_COOKIE].value
    assert not OutboxMail.objects.filter(template="sign_in_new_browser").exists()  # the first
    _browser(cookie=cookie)  # the same browser again: no mail
    assert not OutboxMail.objects.filter(template="sign_in_new_browser").exists()
    _browser(agent="Stranger/9")  # another browser
    mail = OutboxMail.objects.get(template="sign_in_new_browser")
    assert mail.to == "ann@acme.test"
    assert "Stranger/9" in mail.body_text


def test_the_new_browser_mail_is_in_german_for_german_speakers(ann):
    ann.language = "de"
    ann.save()
    _browser()
    _browser(agent="Fremd/1")
    mail = OutboxMail.objects.get(template="sign_in_new_browser")
    assert "Browser" in mail.body_text and "Anmeldung" in mail.subject


def test_last_seen_is_written_at_most_once_a_minute(ann, django_assert_num_queries):
    client, _ = _browser()
    session = UserSession.objects.get(user=ann)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at="2020-01-01T00:00Z")
    client.get("/profile/")
    assert UserSession.objects.get(pk=session.pk).last_seen_at.year == 2020  # within the minute
    store = client.session
    store[SESSION_SEEN_AT] = time.time() - 120
    store.save()
    client.get("/profile/")
    assert UserSession.objects.get(pk=session.pk).last_seen_at.year > 2020


def test_machine_paths_never_touch_sessions(ann):
    client, _ = _browser()
    store = client.session
    store[SESSION_SEEN_AT] = 0
    store.save()
    session = UserSession.objects.get(user=ann)
    UserSession.objects.filter(pk=session.pk).update(last_seen_at="2020-01-01T00:00Z")
    client.get("/api/v1/ums/licenses")
    assert UserSession.objects.get(pk=session.pk).last_seen_at.year == 2020


def test_password_change_ends_the_other_sessions(ann):
    first, _ = _browser()
    second, _ = _browser(agent="Other/1")
    response = ApiClient(client=first).post(
        "/me/password",
        {"current_password": PASSWORD, "new_password": "a brand new harbour password 9"},
    )
    assert response.status_code == 204, response.content
    assert second.get("/profile/").status_code == 302
    assert first.get("/profile/").status_code == 200
    assert UserSession.objects.filter(user=ann).count() == 1
    # The kept session follows its new key (Django cycles it on a password change).
    first.get("/profile/")
    kept = UserSession.objects.get(user=ann)
    assert Session.objects.filter(session_key=kept.session_key).exists()
    assert ApiClient(client=first).delete(f"/me/sessions/{kept.pk}").status_code == 204
    assert first.get("/profile/").status_code == 302


def test_logout_forgets_the_session(ann):
    client, _ = _browser()
    client.post("/logout/")
    assert not UserSession.objects.filter(user=ann).exists()


def test_tokens_cannot_make_tokens(ann):
    from tests.accounts.factories import make_user_token

    response = ApiClient(make_user_token(ann)).post("/me/tokens", {"name": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "not_session_auth"


def test_a_script_s_login_is_a_sign_in_too(ann):
    anonymous = ApiClient()
    assert (
        anonymous.post("/auth/tokens", {"email": ann.email, "password": "nope"}).status_code == 401
    )
    made = anonymous.post("/auth/tokens", {"email": ann.email, "password": PASSWORD})
    assert made.status_code == 201
    items = ApiClient(made.json()["token"]).get("/me/sign-ins").json()
    assert [(i["result"], i["method"]) for i in items] == [
        ("succeeded", "password"),
        ("failed", "password"),
    ]
    assert not UserSession.objects.filter(user=ann).exists()
