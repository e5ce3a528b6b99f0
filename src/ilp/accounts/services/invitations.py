"""Every change to people and access. Each service runs in one transaction with its audit
event and its outbox mail."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import STAFF_TOKEN_PREFIX, USER_TOKEN_PREFIX
from ilp.core.authz import Role
from ilp.core.errors import Conflict, Invalid, NotFound, PermissionDenied, Unauthorized
from ilp.core.ids import crockford, new_token, token_hash
from ilp.notifications.services import mail_enqueue

from ..models import (
    AccessRequest,
    ApiToken,
    Company,
    Invitation,
    Membership,
    StaffToken,
    User,
    normalize_email,
)

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
    withdrawn and replaced. An existing member cannot be invited (409 `already_member`),
    except one who never finalised registration: they get a new link for the role they hold.
    """
    email = normalize_email(email)
    if role not in Role.values:
        raise Invalid(
            _("Unknown role."),
            code="invalid_role",
            errors=[{"loc": ["body", "role"], "msg": _("Unknown role.")}],
        )
    try:
        validate_email(email)
    except DjangoValidationError:
        raise Invalid(
            _("Enter a valid e-mail address."),
            code="invalid_email",
            errors=[{"loc": ["body", "email"], "msg": _("Enter a valid e-mail address.")}],
        ) from None
    member = (
        Membership.objects.select_related("user")
        .filter(company=company, user__email__iexact=email)
        .first()
    )
    if member is not None:
        if user_is_registered(member.user):
            raise Conflict(
                _("This person already is a member of the company."), code="already_member"
            )
        # A member who never finalised registration (an order's contact, rule 4) gets a new
        # link; the role stays the one they hold, so a re-sent link can demote nobody.
        role = member.role
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
    try:
        validate_email(email)
    except DjangoValidationError:
        raise Invalid(
            _("The contact person's e-mail address is not valid."),
            code="invalid_contact_email",
            errors=[
                {"loc": ["body", "contact", "email"], "msg": _("Enter a valid e-mail address.")}
            ],
        ) from None
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


# --- invitations: withdraw, accept, access requests ----------------------------------------


@transaction.atomic
def invitation_withdraw(*, actor: Actor, company: Company, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation of the company; its link stops working."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(company=company, pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise NotFound(_("No such invitation."), code="invitation_not_found")
    if invitation.withdrawn_at is None:
        invitation.withdrawn_at = timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        event_record(
            actor=actor,
            company=company,
            action="invitation.withdrawn",
            obj_type="invitation",
            obj_id=invitation.pk,
            before={"email": invitation.email, "role": invitation.role},
        )
    return invitation


def invitation_check(invitation: Invitation) -> None:
    """409 unless the invitation can still be accepted."""
    if invitation.accepted_at is not None:
        raise Conflict(_("This invitation has already been used."), code="invitation_used")
    if invitation.withdrawn_at is not None:
        raise Conflict(_("This invitation has been withdrawn."), code="invitation_withdrawn")
    if invitation.expires_at <= timezone.now():
        raise Conflict(_("This invitation has expired."), code="invitation_expired")


def _password_errors(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        return [str(m) for m in exc.messages]
    return []


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
) -> tuple[Membership, User]:
    """Accept an invitation: as the logged-in `user` (an existing account), or as a new person
    registering with name and password. Single use; the invitation is locked while accepted.

    A registered person must be logged in as the invited e-mail (403 otherwise); a person
    without an account registers (422 with field errors for missing names or a weak password).
    """
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("company")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise NotFound(_("This invitation link is not valid."), code="invitation_not_found")
    invitation_check(invitation)
    company = invitation.company
    invited = _user_by_email(invitation.email)
    if user is not None:
        if normalize_email(user.email) != normalize_email(invitation.email):
            raise PermissionDenied(
                _("This invitation is for another e-mail address. Log in as %(email)s.")
                % {"email": invitation.email},
                code="invitation_email_mismatch",
            )
        person = user
        if not user_is_registered(person):  # pragma: no cover - cannot be logged in without
            raise PermissionDenied(code="invitation_email_mismatch")
    elif user_is_registered(invited):
        raise Unauthorized(
            _("An account with this e-mail exists. Log in to accept the invitation."),
            code="login_required",
        )
    else:
        person = invited or User(email=invitation.email)
        person.first_name = (first_name or "").strip()[:150]
        person.last_name = (last_name or "").strip()[:150]
        errors = []
        if not person.first_name:
            errors.append({"loc": ["body", "first_name"], "msg": _("Enter your first name.")})
        if not person.last_name:
            errors.append({"loc": ["body", "last_name"], "msg": _("Enter your last name.")})
        for message in _password_errors(password or "", person):
            errors.append({"loc": ["body", "password"], "msg": message})
        if not password:
            errors.append({"loc": ["body", "password"], "msg": _("Enter a password.")})
        if errors:
            raise Invalid(_("Some fields are invalid."), code="validation_error", errors=errors)
        person.set_password(password)
        if person.default_company_id is None:
            person.default_company = company
        person.save()
    membership = Membership.objects.select_for_update().filter(user=person, company=company).first()
    if membership is None:
        membership = Membership.objects.create(user=person, company=company, role=invitation.role)
        _set_default_company(person, company)
        event_record(
            actor=Actor.for_user(person),
            company=company,
            action="member.added",
            obj_type="membership",
            obj_id=person.email,
            after={"role": invitation.role, "invitation": invitation.pk},
        )
    now = timezone.now()
    invitation.accepted_at = now
    invitation.accepted_by = person
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    AccessRequest.objects.filter(
        company=company, email__iexact=invitation.email, resolved_at__isnull=True
    ).update(resolved_at=now)
    event_record(
        actor=Actor.for_user(person),
        company=company,
        action="invitation.accepted",
        obj_type="invitation",
        obj_id=invitation.pk,
        after={"email": person.email, "role": membership.role},
    )
    return membership, person


def _access_request_pending_locked(company: Company, access_request_id: int) -> AccessRequest:
    access_request = (
        AccessRequest.objects.select_for_update()
        .filter(company=company, pk=access_request_id, resolved_at__isnull=True)
        .first()
    )
    if access_request is None:
        raise NotFound(_("No such access request."), code="access_request_not_found")
    return access_request


@transaction.atomic
def access_request_invite(
    *, actor: Actor, company: Company, access_request_id: int, role: str
) -> tuple[Invitation, str]:
    """Turn a pending access request into an invitation (one click for the administrator)."""
    access_request = _access_request_pending_locked(company, access_request_id)
    invitation, token = invitation_create(
        actor=actor, company=company, email=access_request.email, role=role
    )
    access_request.invitation = invitation
    access_request.resolved_at = timezone.now()
    access_request.save(update_fields=["invitation", "resolved_at"])
    return invitation, token


@transaction.atomic
def access_request_dismiss(*, actor: Actor, company: Company, access_request_id: int) -> None:
    """Close a pending access request without inviting anyone."""
    access_request = _access_request_pending_locked(company, access_request_id)
    access_request.resolved_at = timezone.now()
    access_request.save(update_fields=["resolved_at"])
    event_record(
        actor=actor,
        company=company,
        action="access_request.dismissed",
        obj_type="access_request",
        obj_id=access_request.pk,
        before={"email": access_request.email},
    )


# --- company and members -------------------------------------------------------------------

COMPANY_EDITABLE = ("name", "street", "postal_code", "city", "country")


@transaction.atomic
def company_update(*, actor: Actor, company: Company, **fields) -> Company:
    """Change a company's name and address; the GAID and customer number never change here."""
    unknown = set(fields) - set(COMPANY_EDITABLE)
    if unknown:
        raise Invalid(
            errors=[
                {"loc": ["body", f], "msg": _("This field cannot be changed.")} for f in unknown
            ]
        )
    company = Company.objects.select_for_update().get(pk=company.pk)
    changes = {k: (v or "").strip() for k, v in fields.items() if v is not None}
    if "name" in changes and not changes["name"]:
        raise Invalid(errors=[{"loc": ["body", "name"], "msg": _("The name cannot be empty.")}])
    if "country" in changes:
        changes["country"] = changes["country"].upper()
        if changes["country"] and (
            len(changes["country"]) != 2 or not changes["country"].isalpha()
        ):
            raise Invalid(
                errors=[{"loc": ["body", "country"], "msg": _("Use a two-letter country code.")}]
            )
    for field, value in changes.items():
        max_length = Company._meta.get_field(field).max_length
        if max_length and len(value) > max_length:
            raise Invalid(
                errors=[
                    {
                        "loc": ["body", field],
                        "msg": _("At most %(n)s characters.") % {"n": max_length},
                    }
                ]
            )
    before = {k: getattr(company, k) for k in changes}
    if before == changes:
        return company
    for field, value in changes.items():
        setattr(company, field, value)
    company.save(update_fields=list(changes))
    event_record(
        actor=actor,
        company=company,
        action="company.updated",
        obj_type="company",
        obj_id=company.gaid,
        before=before,
        after=changes,
    )
    return company


def _member_locked(company: Company, email: str) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(company=company, user__email__iexact=normalize_email(email))
        .first()
    )
    if membership is None:
        raise NotFound(_("No such member."), code="member_not_found")
    return membership


def _ensure_not_last_administrator(company: Company, membership: Membership) -> None:
    # Lock every administrator membership of the company (primary-key order) before
    # counting, so that two concurrent demotions cannot both see "another one is left".
    admins = list(_administrators(company, lock=True).values_list("pk", flat=True))
    if membership.role == Role.ADMINISTRATOR and admins == [membership.pk]:
        raise Conflict(
            _("The company's last administrator can be neither removed nor demoted."),
            code="last_administrator",
        )


@transaction.atomic
def member_role_change(*, actor: Actor, company: Company, email: str, role: str) -> Membership:
    """Give a member another role; the last administrator cannot be demoted (409)."""
    if role not in Role.values:
        raise Invalid(errors=[{"loc": ["body", "role"], "msg": _("Unknown role.")}])
    _administrators(company, lock=True).first()  # lock administrators first (same order always)
    membership = _member_locked(company, email)
    if membership.role == role:
        return membership
    if role != Role.ADMINISTRATOR:
        _ensure_not_last_administrator(company, membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    event_record(
        actor=actor,
        company=company,
        action="member.role_changed",
        obj_type="membership",
        obj_id=membership.user.email,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def member_remove(*, actor: Actor, company: Company, email: str) -> None:
    """Remove a member from the company; the last administrator cannot be removed (409)."""
    list(_administrators(company, lock=True).values_list("pk", flat=True))
    membership = _member_locked(company, email)
    _ensure_not_last_administrator(company, membership)
    user = membership.user
    role = membership.role
    membership.delete()
    # A removed person's pending invitation (e.g. the finalise-registration link of rule 4)
    # must not bring them back.
    Invitation.objects.filter(
        company=company,
        email__iexact=user.email,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
    ).update(withdrawn_at=timezone.now())
    if user.default_company_id == company.pk:
        user.default_company = None
        user.save(update_fields=["default_company"])
    event_record(
        actor=actor,
        company=company,
        action="member.removed",
        obj_type="membership",
        obj_id=user.email,
        before={"role": role},
    )


# --- tokens and profile --------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for the user; the raw token is returned once and stored hashed."""
    token = new_token(USER_TOKEN_PREFIX)
    api_token = ApiToken.objects.create(
        user=user, name=(name or "").strip()[:100], token_hash=token_hash(token)
    )
    event_record(
        actor=actor,
        action="api_token.created",
        obj_type="api_token",
        obj_id=api_token.pk,
        after={"user": user.email, "name": api_token.name},
    )
    return api_token, token


def auth_token_issue(*, email: str, password: str, name: str = "") -> tuple[ApiToken, str]:
    """Log in with e-mail and password for an API token; 401 alike for an unknown e-mail and a
    wrong password (Django's backend also spends the hashing time for unknown e-mails)."""
    user = authenticate(username=normalize_email(email), password=password or "")
    if user is None:
        raise Unauthorized(_("E-mail or password is wrong."), code="invalid_credentials")
    return api_token_create(actor=Actor.for_user(user), user=user, name=name or "API")


@transaction.atomic
def api_token_revoke(*, actor: Actor, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's API tokens (it stops working at once)."""
    api_token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if api_token is None:
        raise NotFound(_("No such token."), code="token_not_found")
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        api_token.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action="api_token.revoked",
            obj_type="api_token",
            obj_id=api_token.pk,
            before={"user": user.email, "name": api_token.name},
        )
    return api_token


@transaction.atomic
def staff_token_create(*, actor: Actor, name: str) -> tuple[StaffToken, str]:
    """A new staff (vendor back-office) token; the raw token is returned once."""
    token = new_token(STAFF_TOKEN_PREFIX)
    staff = StaffToken.objects.create(name=name, token_hash=token_hash(token))
    event_record(
        actor=actor,
        action="staff_token.created",
        obj_type="staff_token",
        obj_id=staff.pk,
        after={"name": name},
    )
    return staff, token


LANGUAGES = ("en", "de")


@transaction.atomic
def profile_update(
    *,
    actor: Actor,
    user: User,
    first_name: str,
    last_name: str,
    language: str,
    default_company_gaid: str | None = None,
    notify: dict[str, bool] | None = None,
) -> User:
    """Change the user's own name, language, default company and per-company mail opt-ins.
    The e-mail never changes (it is the key of the account)."""
    errors = []
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name:
        errors.append({"loc": ["first_name"], "msg": _("Enter your first name.")})
    if not last_name:
        errors.append({"loc": ["last_name"], "msg": _("Enter your last name.")})
    if language and language not in LANGUAGES:
        errors.append({"loc": ["language"], "msg": _("Choose English or German.")})
    memberships = {
        m.company.gaid: m
        for m in Membership.objects.select_for_update()
        .select_related("company")
        .filter(user=user)
        .order_by("pk")
    }
    default = None
    if default_company_gaid:
        if default_company_gaid not in memberships:
            errors.append({"loc": ["default_company"], "msg": _("Choose one of your companies.")})
        else:
            default = memberships[default_company_gaid].company
    if errors:
        raise Invalid(errors=errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "default_company": user.default_company.gaid if user.default_company else None,
    }
    user.first_name, user.last_name, user.language = first_name[:150], last_name[:150], language
    user.default_company = default
    user.save(update_fields=["first_name", "last_name", "language", "default_company"])
    changed_notify = {}
    for gaid, wanted in (notify or {}).items():
        membership = memberships.get(gaid)
        if membership is not None and membership.notify != bool(wanted):
            membership.notify = bool(wanted)
            membership.save(update_fields=["notify"])
            changed_notify[gaid] = bool(wanted)
    event_record(
        actor=actor,
        action="user.profile_updated",
        obj_type="user",
        obj_id=user.email,
        before=before,
        after={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": language,
            "default_company": default.gaid if default else None,
            "notify": changed_notify,
        },
    )
    return user


@transaction.atomic
def company_customer_number_set(
    *, actor: Actor, company: Company, customer_number: str | None
) -> Company:
    """Set the ERP customer number (vendor back office only; orders match companies by it)."""
    company = Company.objects.select_for_update().get(pk=company.pk)
    value = (customer_number or "").strip() or None
    if value == company.customer_number:
        return company
    if value and Company.objects.filter(customer_number=value).exclude(pk=company.pk).exists():
        raise Conflict(_("Another company has this customer number."), code="customer_number_taken")
    before = company.customer_number
    company.customer_number = value
    company.save(update_fields=["customer_number"])
    event_record(
        actor=actor,
        company=company,
        action="company.customer_number_set",
        obj_type="company",
        obj_id=company.gaid,
        before={"customer_number": before},
        after={"customer_number": value},
    )
    return company


@transaction.atomic
def member_add(*, actor: Actor, company: Company, user: User, role: str) -> Membership:
    """Add a user to a company directly (vendor support in the admin; customers invite)."""
    if role not in Role.values:
        raise Invalid(errors=[{"loc": ["body", "role"], "msg": _("Unknown role.")}])
    if Membership.objects.filter(company=company, user=user).exists():
        raise Conflict(_("This person already is a member of the company."), code="already_member")
    membership = Membership.objects.create(user=user, company=company, role=role)
    _set_default_company(user, company)
    event_record(
        actor=actor,
        company=company,
        action="member.added",
        obj_type="membership",
        obj_id=user.email,
        after={"role": role},
    )
    return membership


@transaction.atomic
def staff_token_revoke(*, actor: Actor, staff_token_id: int) -> StaffToken:
    """Revoke a staff token; scripts using it get 401 from now on."""
    staff = StaffToken.objects.select_for_update().filter(pk=staff_token_id).first()
    if staff is None:
        raise NotFound(_("No such token."), code="token_not_found")
    if staff.revoked_at is None:
        staff.revoked_at = timezone.now()
        staff.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            action="staff_token.revoked",
            obj_type="staff_token",
            obj_id=staff.pk,
            before={"name": staff.name},
        )
    return staff
