"""Pieces several account services share: the role check, the administrators' lock, making
someone a member, the password rules, the mailed single-use links, opening an access request."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.bulk import objects_insert_later
from ilp.core.emails import email_problem
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.ids import new_token, token_hash
from ilp.core.text import plain_text
from ilp.notifications.services import mail_enqueue
from ilp.webhooks.services import event_emit

from .. import selectors
from ..audit_actions import AuditAction
from ..errors import AccountError
from ..models import AccessRequest, AccountLink, Company, Membership, User, normalize_email


def email_canonical(*, email: str, loc: tuple[str, ...] = ("body", "email")) -> str:
    """The canonical form of an address that enters ILP (rule 18), or 422 `invalid_email` when
    it holds a default-ignorable character (soft hyphen, zero-width characters) or a domain
    IDNA 2008 refuses or maps to another one: what is stored must be where mail goes
    (core/emails.py). Its syntax is the caller's check, with the caller's code."""
    email = normalize_email(email)
    if email_problem(email):
        message = _("Enter a valid e-mail address (without invisible characters).")
        raise Invalid(
            message, code=AccountError.INVALID_EMAIL, errors=[{"loc": list(loc), "msg": message}]
        )
    return email


def role_check(role: str) -> None:
    """422 `invalid_role` unless `role` is one of the roles."""
    if role not in Role.values:
        raise Invalid(
            _("Unknown role."),
            code=AccountError.INVALID_ROLE,
            errors=[{"loc": ["body", "role"], "msg": _("Unknown role.")}],
        )


def administrators_locked(company: Company):
    """The company's administrator memberships, locked in primary-key order (the one order
    every service takes them in)."""
    return (
        Membership.objects.select_for_update()
        .filter(company=company, role=Role.ADMINISTRATOR)
        .order_by("pk")
    )


def membership_create(
    *, actor: Actor, company: Company, user: User, role: str, audit: dict | None = None
) -> Membership:
    """Make the person a member with the role, their first company their default, and record
    `member.added` (with `audit`'s details: the order, the invitation)."""
    membership = Membership(user=user, company=company, role=role)
    objects_insert_later([membership])  # no primary key inside `writes_held`
    _default_company_fill(user, company)
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.MEMBER_ADDED,
        obj_type="membership",
        obj_id=user.email,
        after={"role": role, **(audit or {})},
    )
    member_event_emit(company_id=company.pk, type="member.added", user=user, role=role)
    return membership


def member_event_emit(*, company_id: int, type: str, user: User, role: str) -> None:
    """`member.added` / `member.removed` with the member object (API.md) as data."""
    event_emit(
        company_id=company_id,
        type=type,
        data=lambda: {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": role,
        },
    )


def _default_company_fill(user: User, company: Company) -> None:
    """A person's first company becomes their default (where `/` lands), until they choose."""
    if user.default_company_id is None:
        user.default_company = company
        user.save(update_fields=["default_company"])


def password_check(password: str, user: User, *, field: str = "password") -> None:
    """422 `weak_password` with the validators' messages unless the password is good enough
    (settings.AUTH_PASSWORD_VALIDATORS) for this person."""
    messages = [] if password else [_("Enter a password.")]
    if password:
        try:
            validate_password(password, user=user)
        except DjangoValidationError as exc:
            messages = [str(m) for m in exc.messages]
    if messages:
        raise Invalid(
            " ".join(messages),
            code=AccountError.WEAK_PASSWORD,
            errors=[{"loc": ["body", field], "msg": m} for m in messages],
        )


def account_link_issue(*, user: User, purpose: str, ttl: timedelta, prefix: str) -> str:
    """A new single-use link of `purpose` for the person; earlier unused ones of the same
    purpose stop working (only the newest mail counts). Returns the raw token (stored hashed).
    The caller holds the transaction and mails the link."""
    now = timezone.now()
    AccountLink.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    token = new_token(prefix)
    AccountLink.objects.create(
        purpose=purpose,
        user=user,
        email=user.email,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + ttl,
    )
    return token


def account_link_use(*, token: str, purpose: str, user: User | None = None) -> AccountLink:
    """Lock the link behind a token and check it can still be used: 404 `link_not_found` for
    an unknown one (or one of another person than `user`), 409 `link_used` or `link_expired`.
    The caller marks it used in the same transaction."""
    # Only the link's row is locked: its person may be gone (a nullable join cannot be locked
    # on PostgreSQL), and the services lock the person themselves.
    link = (
        AccountLink.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(token_hash=token_hash(token), purpose=purpose)
        .first()
    )
    if link is None or (user is not None and link.user_id not in (None, user.pk)):
        raise NotFound(_("This link is not valid."), code=AccountError.LINK_NOT_FOUND)
    link_check(link)
    return link


def link_check(link: AccountLink) -> None:
    """409 unless the link can still be used."""
    if link.used_at is not None or link.user_id is None:
        raise Conflict(
            _("This link has been used already, or a newer one was sent."),
            code=AccountError.LINK_USED,
        )
    if link.expires_at <= timezone.now():
        raise Conflict(_("This link has expired."), code=AccountError.LINK_EXPIRED)


def link_url(path: str, token: str) -> str:
    return f"{settings.ILP_BASE_URL}/{path}/{token}"


def access_request_open(
    *,
    actor: Actor,
    company: Company,
    admins: list[Membership],
    email: str,
    first_name: str,
    last_name: str,
    order_number: str = "",
) -> AccessRequest:
    """A person asks to join a company that has administrators: record the access request (one
    pending per e-mail, however often they ask) and mail every administrator. Asked by an
    order naming a contact (rule 4, `order_number`) or by a registration with the company's
    GAID and a subscription key (rule 16, no order number). The caller holds the transaction
    and has locked the administrators."""
    first_name, last_name = plain_text(first_name)[:150], plain_text(last_name)[:150]
    access_request = selectors.access_request_pending_find(company=company, email=email)
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
            template="access_requested" if order_number else "access_requested_registration",
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
        action=AuditAction.ACCESS_REQUEST_CREATED,
        obj_type="access_request",
        obj_id=access_request.pk,
        after={"email": email, "order_number": order_number or None},
    )
    return access_request
