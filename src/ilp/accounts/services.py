"""Every change to people and access. Each service runs in one transaction with its audit
event and its outbox mail."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Conflict, Invalid
from ilp.core.ids import crockford, new_token, token_hash
from ilp.notifications.services import mail_enqueue

from .models import AccessRequest, Company, Invitation, Membership, User, normalize_email

INVITATION_TOKEN_PREFIX = "ilpi"


def _new_gaid() -> str:
    return f"GA{crockford(8)}"


@transaction.atomic
def company_create(
    *,
    actor: Actor,
    name: str,
    customer_number: str | None = None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "",
) -> Company:
    """Create a company with a new, permanent GAID (server-made, never reused)."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                company = Company.objects.create(
                    gaid=_new_gaid(),
                    name=name,
                    customer_number=customer_number or None,
                    street=street,
                    postal_code=postal_code,
                    city=city,
                    country=country,
                )
            break
        except IntegrityError:
            if customer_number and Company.objects.filter(customer_number=customer_number).exists():
                raise
            continue  # a GAID collision (40 bits of randomness): draw again
    else:  # pragma: no cover - five collisions in a row
        raise RuntimeError("could not allocate a GAID")
    event_record(
        actor=actor,
        company=company,
        action="company.created",
        obj_type="company",
        obj_id=company.gaid,
        after={"name": name, "customer_number": customer_number},
    )
    return company


# --- invitations ---------------------------------------------------------------------------

INVITATION_TTL = timedelta(days=7)


def _invitation_link(token: str) -> str:
    return f"{settings.ILP_BASE_URL}/invitations/{token}"


def _user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=normalize_email(email)).first()


def user_is_registered(user: User | None) -> bool:
    """A person has an account when they can log in: a user created for an order's contact
    (no usable password yet) is still waiting to finalise registration."""
    return user is not None and user.has_usable_password()


def _invitation_issue(
    *,
    actor: Actor,
    company: Company,
    email: str,
    role: str,
    template: str,
    context: dict | None = None,
) -> tuple[Invitation, str]:
    """Withdraw a pending invitation of the same e-mail to the same company, make a new
    one and queue its mail. The caller holds the transaction."""
    email = normalize_email(email)
    now = timezone.now()
    replaced = list(
        Invitation.objects.select_for_update()
        .filter(
            company=company,
            email__iexact=email,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .order_by("pk")
    )
    for old in replaced:
        old.withdrawn_at = now
        old.save(update_fields=["withdrawn_at"])
    token = new_token(INVITATION_TOKEN_PREFIX)
    invitation = Invitation.objects.create(
        company=company,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by=actor.user if actor.kind == "user" else None,
        created_at=now,
        expires_at=now + INVITATION_TTL,
    )
    user = _user_by_email(email)
    mail_enqueue(
        to=email,
        template=template,
        language=(user.language if user else None) or "en",
        context={
            "company_name": company.name,
            "gaid": company.gaid,
            "role": Role(role).label,
            "link": _invitation_link(token),
            "inviter": actor.user.full_name if actor.kind == "user" else "",
            "expires_at": invitation.expires_at,
            **(context or {}),
        },
    )
    event_record(
        actor=actor,
        company=company,
        action="invitation.created",
        obj_type="invitation",
        obj_id=invitation.pk,
        after={"email": email, "role": role, "replaced": [i.pk for i in replaced]},
    )
    return invitation, token


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    company: Company,
    email: str,
    role: str,
    template: str = "invitation",
) -> tuple[Invitation, str]:
    """Invite an e-mail address into the company with a role; returns (invitation, raw token).

    The mail carries `<ILP_BASE_URL>/invitations/<token>`; the token is stored hashed and
    valid for 7 days. A pending invitation of the same address to the same company is
    withdrawn and replaced. An existing member cannot be invited (409 `already_member`).
    """
    email = normalize_email(email)
    if role not in Role.values:
        raise Invalid(
            _("Unknown role."), code="invalid_role", errors=[{"loc": ["role"], "msg": "unknown"}]
        )
    if not email or "@" not in email:
        raise Invalid(
            _("Enter a valid e-mail address."),
            code="invalid_email",
            errors=[{"loc": ["email"], "msg": "invalid e-mail"}],
        )
    if Membership.objects.filter(company=company, user__email__iexact=email).exists():
        raise Conflict(_("This person already is a member of the company."), code="already_member")
    return _invitation_issue(
        actor=actor, company=company, email=email, role=role, template=template
    )


# --- an order's contact person (DESIGN.md rule 4) ------------------------------------------


def _administrators(company: Company, *, lock: bool = False):
    qs = Membership.objects.filter(company=company, role=Role.ADMINISTRATOR).order_by("pk")
    if lock:
        qs = qs.select_for_update()
    return qs


def contact_person_handle(
    *, actor: Actor, company: Company, contact: dict, order_number: str
) -> str:
    """Apply DESIGN.md rule 4 to an order's contact person; returns the `contact_outcome`.

    Runs inside the caller's (the order service's) transaction.

    - already a member → "already_member", nothing changes;
    - no administrator, no registered account → "administrator_created": a user without a
      usable password becomes the administrator at once (so the company *has* an
      administrator from now on) and gets a finalise-registration mail with an invitation
      link where they set name and password;
    - no administrator, registered account → "administrator_assigned" plus a notice mail;
    - administrators exist → "administrators_notified": an AccessRequest is recorded and every
      administrator is mailed.
    """
    email = normalize_email(contact.get("email", ""))
    first_name = (contact.get("first_name") or "").strip()
    last_name = (contact.get("last_name") or "").strip()
    with transaction.atomic():
        # Lock the company row so that two orders for the same company decide one after the
        # other (the second sees the administrator the first created).
        Company.objects.select_for_update().filter(pk=company.pk).first()
        if Membership.objects.filter(company=company, user__email__iexact=email).exists():
            return "already_member"
        admins = list(_administrators(company, lock=True).select_related("user"))
        if not admins:
            user = _user_by_email(email)
            if user_is_registered(user):
                assert user is not None
                Membership.objects.create(user=user, company=company, role=Role.ADMINISTRATOR)
                _set_default_company(user, company)
                mail_enqueue(
                    to=user.email,
                    template="administrator_assigned",
                    language=user.language or "en",
                    context={
                        "company_name": company.name,
                        "gaid": company.gaid,
                        "order_number": order_number,
                        "first_name": user.first_name,
                        "link": f"{settings.ILP_BASE_URL}/companies/{company.gaid}/",
                    },
                )
                event_record(
                    actor=actor,
                    company=company,
                    action="member.added",
                    obj_type="membership",
                    obj_id=user.email,
                    after={"role": Role.ADMINISTRATOR, "order_number": order_number},
                )
                return "administrator_assigned"
            if user is None:
                user = User.objects.create_user(
                    email, None, first_name=first_name, last_name=last_name
                )
            Membership.objects.create(user=user, company=company, role=Role.ADMINISTRATOR)
            _set_default_company(user, company)
            event_record(
                actor=actor,
                company=company,
                action="member.added",
                obj_type="membership",
                obj_id=user.email,
                after={"role": Role.ADMINISTRATOR, "order_number": order_number, "pending": True},
            )
            _invitation_issue(
                actor=actor,
                company=company,
                email=email,
                role=Role.ADMINISTRATOR,
                template="registration_finalise",
                context={"first_name": first_name, "order_number": order_number},
            )
            return "administrator_created"
        access_request = AccessRequest.objects.filter(
            company=company, email__iexact=email, resolved_at__isnull=True
        ).first()
        if access_request is None:
            access_request = AccessRequest.objects.create(
                company=company,
                email=email,
                first_name=first_name,
                last_name=last_name,
                order_number=order_number,
            )
        for admin in admins:
            mail_enqueue(
                to=admin.user.email,
                template="access_requested",
                language=admin.user.language or "en",
                context={
                    "company_name": company.name,
                    "gaid": company.gaid,
                    "order_number": order_number,
                    "contact_email": email,
                    "contact_name": f"{first_name} {last_name}".strip(),
                    "link": f"{settings.ILP_BASE_URL}/companies/{company.gaid}/manage/",
                },
            )
        event_record(
            actor=actor,
            company=company,
            action="access_request.created",
            obj_type="access_request",
            obj_id=access_request.pk,
            after={"email": email, "order_number": order_number},
        )
        return "administrators_notified"


def _set_default_company(user: User, company: Company) -> None:
    if user.default_company_id is None:
        user.default_company = company
        user.save(update_fields=["default_company"])
