"""Names that reach mails carry no control or format characters (issue 12): cleaned where
they enter (services behind API, pages and orders), and the mail subject is guarded too."""

import pytest
from django.utils import timezone

from ilp.accounts.models import AccessRequest, Company, Invitation, User
from ilp.core.text import plain_text
from ilp.notifications.models import OutboxMail
from ilp.notifications.services import mail_enqueue
from ilp.rollout.models import UmsInstance
from tests.accounts.factories import make_user

# No NUL here: the API refuses a NUL anywhere with 422 (tests/core/test_hostile_input.py).
EVIL = "Evil\r\nBcc: all@x.test\u202e\u200b\tCo"


def _clean(value: str) -> bool:
    import unicodedata

    return not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value)


def test_plain_text():
    assert plain_text(EVIL) == "Evil Bcc: all@x.test Co"
    assert plain_text("Ev\x00il\x07") == "Evil"
    assert plain_text("  Anna\u2028Maria ") == "Anna Maria"
    assert plain_text("Zoë Øster-Łukasz 山田") == "Zoë Øster-Łukasz 山田"
    assert plain_text(None) == ""


@pytest.mark.django_db
def test_order_company_and_contact_names_are_cleaned(staff_api):
    body = {
        "order_number": "SO-EVIL",
        "kind": "new",
        "invoice_date": timezone.localdate().isoformat(),
        "end_customer": {"name": EVIL, "city": "Bre\nmen", "country": "DE"},
        "contact": {"email": "c@evil.test", "first_name": "Ann\na", "last_name": "X\u202eY"},
        "items": [{"product": "WE", "seats": 10, "term_months": 12}],
    }
    assert staff_api.post("/orders", body).status_code == 201
    company = Company.objects.get()
    assert company.name == "Evil Bcc: all@x.test Co" and company.city == "Bre men"
    contact = User.objects.get(email="c@evil.test")
    assert (contact.first_name, contact.last_name) == ("Ann a", "XY")
    for mail in OutboxMail.objects.all():
        assert _clean(mail.subject), mail.subject


@pytest.mark.django_db
def test_company_rename_and_invitation_mail(admin_api, company):
    r = admin_api.patch(f"/companies/{company.gaid}", {"name": EVIL})
    assert r.status_code == 200 and r.json()["name"] == "Evil Bcc: all@x.test Co"
    admin_api.post(f"/companies/{company.gaid}/invitations", {"email": "n@x.test", "role": "user"})
    mail = OutboxMail.objects.get(to="n@x.test")
    assert "Evil Bcc: all@x.test Co" in mail.subject and _clean(mail.subject)


@pytest.mark.django_db
def test_person_names_from_registration_invitation_and_profile(api, admin_api, company):
    admin_api.post(f"/companies/{company.gaid}/invitations", {"email": "n@x.test", "role": "user"})
    invitation = Invitation.objects.get(email="n@x.test")
    from ilp.core.ids import token_hash

    Invitation.objects.filter(pk=invitation.pk).update(token_hash=token_hash("ilpi_known"))
    r = api().post(
        "/invitations/ilpi_known/accept",
        {"first_name": "Ne\nw", "last_name": "Per\x07son", "password": "a long new passphrase 9"},
    )
    assert r.status_code == 200, r.content
    person = User.objects.get(email="n@x.test")
    assert (person.first_name, person.last_name) == ("Ne w", "Person")


@pytest.mark.django_db
def test_profile_names_are_cleaned(company):
    from ilp.accounts.services import profile_update
    from ilp.core.actors import Actor

    user = make_user("p@x.test", company=company)
    profile_update(
        actor=Actor.for_user(user), user=user, first_name="A\r\nB", last_name="\u202eC", language=""
    )
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("A B", "C")


@pytest.mark.django_db
def test_access_request_names_are_cleaned(company, admin_user):
    from ilp.accounts.services.access_requests import access_request_open
    from ilp.core.actors import Actor

    access_request_open(
        actor=Actor.system(),
        company=company,
        admins=list(company.memberships.filter(role="administrator")),
        email="r@x.test",
        first_name="R\ne",
        last_name="Q\u200bu",
    )
    request = AccessRequest.objects.get()
    assert (request.first_name, request.last_name) == ("R e", "Qu")
    assert all(_clean(m.subject) for m in OutboxMail.objects.all())


@pytest.mark.django_db
def test_ums_names_are_cleaned(admin_api, company):
    r = admin_api.post(f"/companies/{company.gaid}/ums", {"name": "UMS\nBerlin\u202e"})
    assert r.status_code == 201 and r.json()["name"] == "UMS Berlin"
    ums = UmsInstance.objects.get()
    r = admin_api.patch(f"/companies/{company.gaid}/ums/{ums.ums_id}", {"name": "A\tB"})
    assert r.json()["name"] == "A B"


@pytest.mark.django_db
def test_the_subject_is_guarded_whatever_the_context_holds(db):
    mail = mail_enqueue(
        to="x@y.test",
        template="invitation",
        context={"company_name": EVIL, "gaid": "GA1", "role": "User", "link": "http://x"},
    )
    assert _clean(mail.subject) and "\n" not in mail.subject
    assert "Evil Bcc: all@x.test Co" in mail.subject
