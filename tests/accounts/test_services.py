"""The rules of people and access, tested through the services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ilp.accounts import services
from ilp.accounts.models import AccessRequest, Company, Invitation, Membership, User
from ilp.audit.models import AuditEvent
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid
from ilp.core.ids import token_hash
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import make_company, make_user

pytestmark = pytest.mark.django_db

STAFF = Actor.system()


def _contact(email="pat@customer.test"):
    return {"email": email, "first_name": "Pat", "last_name": "Contact"}


# --- invitation_create ---------------------------------------------------------------------


def test_invitation_create_stores_hash_mails_link_and_audits(company, admin_user, settings):
    invitation, token = services.invitation_create(
        actor=Actor.for_user(admin_user), company=company, email=" New@Example.test ", role="user"
    )
    assert invitation.email == "new@example.test"
    assert invitation.token_hash == token_hash(token) and token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    assert invitation.invited_by == admin_user and invitation.is_pending
    mail = OutboxMail.objects.get(to="new@example.test")
    assert mail.template == "invitation"
    assert f"{settings.ILP_BASE_URL}/invitations/{token}" in mail.body_text
    assert "Acme GmbH" in mail.subject
    assert AuditEvent.objects.filter(action="invitation.created", company=company).count() == 1


def test_inviting_an_existing_member_is_a_conflict(company, admin_user):
    make_user("member@acme.test", company=company, role="user")
    with pytest.raises(Conflict) as exc:
        services.invitation_create(
            actor=Actor.for_user(admin_user),
            company=company,
            email="MEMBER@acme.test",
            role="administrator",
        )
    assert exc.value.code == "already_member"
    assert not Invitation.objects.exists() and not OutboxMail.objects.exists()


def test_a_new_invitation_replaces_the_pending_one(company, admin_user):
    actor = Actor.for_user(admin_user)
    first, _ = services.invitation_create(
        actor=actor, company=company, email="x@y.test", role="user"
    )
    second, _ = services.invitation_create(
        actor=actor, company=company, email="X@y.test", role="service_provider"
    )
    first.refresh_from_db()
    assert first.withdrawn_at is not None and not first.is_pending
    assert second.is_pending and second.role == "service_provider"
    other = make_company()
    third, _ = services.invitation_create(actor=actor, company=other, email="x@y.test", role="user")
    second.refresh_from_db()
    assert second.is_pending and third.is_pending  # other companies are independent


def test_invitation_template_is_selectable(company):
    services.invitation_create(
        actor=STAFF,
        company=company,
        email="a@b.test",
        role="user",
        template="registration_finalise",
    )
    assert OutboxMail.objects.get().template == "registration_finalise"


# --- contact_person_handle -----------------------------------------------------------------


def test_contact_already_member_changes_nothing(company):
    make_user("pat@customer.test", company=company, role="user")
    before = (Membership.objects.count(), OutboxMail.objects.count(), AuditEvent.objects.count())
    outcome = services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact("PAT@customer.test"), order_number="O-1"
    )
    assert outcome == "already_member"
    after = (Membership.objects.count(), OutboxMail.objects.count(), AuditEvent.objects.count())
    assert before == after


def test_contact_without_account_becomes_pending_administrator(company, settings):
    outcome = services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact(), order_number="O-1"
    )
    assert outcome == "administrator_created"
    user = User.objects.get(email="pat@customer.test")
    assert not user.has_usable_password() and user.first_name == "Pat"
    assert Membership.objects.get(user=user, company=company).role == "administrator"
    invitation = Invitation.objects.get(company=company, email="pat@customer.test")
    assert invitation.role == "administrator" and invitation.is_pending
    mail = OutboxMail.objects.get(to="pat@customer.test")
    assert mail.template == "registration_finalise"
    assert f"{settings.ILP_BASE_URL}/invitations/ilpi_" in mail.body_text
    assert "O-1" in mail.body_text
    # From now on the company has an administrator: the next contact is an access request.
    outcome = services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact("other@customer.test"), order_number="O-2"
    )
    assert outcome == "administrators_notified"


def test_contact_with_account_becomes_administrator_with_notice(company):
    existing = make_user("pat@customer.test", company=make_company(), role="user")
    outcome = services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact(), order_number="O-1"
    )
    assert outcome == "administrator_assigned"
    assert Membership.objects.get(user=existing, company=company).role == "administrator"
    assert not Invitation.objects.exists()
    mail = OutboxMail.objects.get(to="pat@customer.test")
    assert mail.template == "administrator_assigned"


def test_contact_with_administrators_records_access_request_and_mails_each(company):
    make_user("a1@acme.test", company=company, role="administrator")
    make_user("a2@acme.test", company=company, role="administrator")
    make_user("u@acme.test", company=company, role="user")
    outcome = services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact(), order_number="O-9"
    )
    assert outcome == "administrators_notified"
    request = AccessRequest.objects.get(company=company)
    assert (request.email, request.first_name, request.order_number) == (
        "pat@customer.test",
        "Pat",
        "O-9",
    )
    assert set(
        OutboxMail.objects.filter(template="access_requested").values_list("to", flat=True)
    ) == {"a1@acme.test", "a2@acme.test"}
    assert not Membership.objects.filter(user__email="pat@customer.test").exists()
    # A second order naming the same contact does not pile up access requests.
    services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact(), order_number="O-10"
    )
    assert AccessRequest.objects.filter(company=company).count() == 1


def test_contact_handle_joins_the_callers_transaction(company):
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.contact_person_handle(
                actor=STAFF, company=company, contact=_contact(), order_number="O-1"
            )
            raise RuntimeError("order failed")
    assert not User.objects.filter(email="pat@customer.test").exists()
    assert not OutboxMail.objects.exists()


def test_expired_invitation_is_not_pending(company):
    invitation, _ = services.invitation_create(
        actor=STAFF, company=company, email="late@x.test", role="user"
    )
    invitation.expires_at = timezone.now() - timedelta(seconds=1)
    assert not invitation.is_pending


# --- pending administrators (rule 4) -------------------------------------------------------


def _pending_admin(company):
    services.contact_person_handle(
        actor=STAFF, company=company, contact=_contact(), order_number="O-1"
    )
    return Membership.objects.get(company=company, user__email="pat@customer.test")


def test_pending_member_can_be_sent_a_new_link_keeping_their_role(company):
    _pending_admin(company)
    first = Invitation.objects.get()
    invitation, _token = services.invitation_create(
        actor=STAFF, company=company, email="pat@customer.test", role="user"
    )
    first.refresh_from_db()
    assert first.withdrawn_at is not None
    assert invitation.role == "administrator"  # a re-sent link demotes nobody


def test_removing_a_pending_member_withdraws_their_link(company):
    make_user("boss@acme.test", company=company, role="administrator")
    services.contact_person_handle(
        actor=STAFF, company=make_company(), contact=_contact(), order_number="O-0"
    )
    services.invitation_create(
        actor=STAFF, company=company, email="pat@customer.test", role="administrator"
    )
    invitation = Invitation.objects.get(company=company)
    membership = services.member_add(
        actor=STAFF,
        company=company,
        user=User.objects.get(email="pat@customer.test"),
        role="administrator",
    )
    services.member_remove(actor=STAFF, company=company, email=membership.user.email)
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None


def test_contact_with_invalid_email_is_422(company):
    with pytest.raises(Invalid) as exc:
        services.contact_person_handle(
            actor=STAFF, company=company, contact=_contact("not an address"), order_number="O-1"
        )
    assert exc.value.status == 422
    assert not User.objects.exists()


def test_last_administrator_rule_counts_the_pending_administrator(company):
    _pending_admin(company)
    with pytest.raises(Conflict) as exc:
        services.member_remove(actor=STAFF, company=company, email="pat@customer.test")
    assert exc.value.code == "last_administrator"


def test_invitation_single_use_and_withdrawn_expired(company):
    invitation, token = services.invitation_create(
        actor=STAFF, company=company, email="n@x.test", role="user"
    )
    services.invitation_accept(
        token=token, first_name="N", last_name="X", password="a-long enough passphrase 42"
    )
    with pytest.raises(Conflict) as exc:
        services.invitation_accept(
            token=token, first_name="N", last_name="X", password="a-long enough passphrase 42"
        )
    assert exc.value.code == "invitation_used"
    _inv, token2 = services.invitation_create(
        actor=STAFF, company=company, email="w@x.test", role="user"
    )
    services.invitation_withdraw(actor=STAFF, company=company, invitation_id=_inv.pk)
    with pytest.raises(Conflict) as exc:
        services.invitation_accept(token=token2, first_name="W", last_name="X", password="x" * 20)
    assert exc.value.code == "invitation_withdrawn"
    _inv, token3 = services.invitation_create(
        actor=STAFF, company=company, email="e@x.test", role="user"
    )
    Invitation.objects.filter(pk=_inv.pk).update(expires_at=timezone.now())
    with pytest.raises(Conflict) as exc:
        services.invitation_accept(token=token3, first_name="E", last_name="X", password="x" * 20)
    assert exc.value.code == "invitation_expired"
    assert not User.objects.filter(email__in=["w@x.test", "e@x.test"]).exists()


def test_role_change_and_removal_write_audit_events(company, admin_user):
    make_user("u@acme.test", company=company)
    actor = Actor.for_user(admin_user)
    services.member_role_change(actor=actor, company=company, email="u@acme.test", role="user")
    assert not AuditEvent.objects.filter(action="member.role_changed").exists()  # no change
    services.member_role_change(
        actor=actor, company=company, email="u@acme.test", role="administrator"
    )
    services.member_role_change(
        actor=actor, company=company, email="admin@acme.test", role="user"
    )  # allowed: another administrator remains
    services.member_remove(actor=actor, company=company, email="admin@acme.test")
    actions = list(
        AuditEvent.objects.filter(company=company).order_by("pk").values_list("action", flat=True)
    )
    assert actions[-3:] == ["member.role_changed", "member.role_changed", "member.removed"]


def test_an_unknown_role_is_one_error_everywhere(company):
    make_user("u@acme.test", company=company)
    attempts = [
        lambda: services.invitation_create(
            actor=STAFF, company=company, email="n@x.test", role="owner"
        ),
        lambda: services.member_role_change(
            actor=STAFF, company=company, email="u@acme.test", role="owner"
        ),
        lambda: services.member_add(
            actor=STAFF, company=company, user=make_user("v@x.test"), role="owner"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Invalid) as exc:
            attempt()
        assert exc.value.code == "invalid_role"
        assert exc.value.errors == [{"loc": ["body", "role"], "msg": "Unknown role."}]


# --- company_create --------------------------------------------------------------------------


def test_a_taken_customer_number_writes_nothing_and_leaves_the_transaction_usable():
    taken = make_company(customer_number="C-1")
    before = (Company.objects.count(), AuditEvent.objects.count())
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            services.company_create(actor=STAFF, name="Copy", customer_number="C-1")
        # The caller (an order) goes on in the same transaction with the company found.
        assert Company.objects.get(customer_number="C-1") == taken
    assert (Company.objects.count(), AuditEvent.objects.count()) == before


def test_a_taken_gaid_is_drawn_again(monkeypatch):
    taken = make_company()
    drawn = iter([taken.gaid, "GAZZZZZZZZ"])
    monkeypatch.setattr("ilp.accounts.services.companies._new_gaid", lambda: next(drawn))
    company = services.company_create(actor=STAFF, name="Neu")
    assert company.gaid == "GAZZZZZZZZ"
    assert AuditEvent.objects.get(action="company.created").object_id == "GAZZZZZZZZ"
