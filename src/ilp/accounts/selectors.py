"""Reads of people and access. A page's or route's company-scoped read starts from the acting
membership; the services read inside the company they act in."""

import unicodedata
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.core.auth import Principal, StaffStanding, last_used_touch
from ilp.core.authz import Role, StaffRole
from ilp.core.errors import Gone, NotFound
from ilp.core.ids import token_hash
from ilp.core.prepared import PreparedObjects

from .errors import AccountError
from .models import (
    AccessRequest,
    ApiToken,
    Company,
    Invitation,
    Membership,
    SignIn,
    StaffMember,
    StaffToken,
    TwoFactor,
    User,
    UserSession,
    normalize_email,
)


class MailTopic(StrEnum):
    """What a company's license mail is about; each has its own opt-in on the profile."""

    EXPIRY = "expiry"  # "a pack is about to expire" (expiry reminders, applied renewals)
    NEW_KEY = "new_key"  # "a new subscription key arrived"


# --- people and their memberships ----------------------------------------------------------


def user_find(*, email: str) -> User | None:
    """The person with this e-mail (any letter case), registered or not; None if nobody."""
    return _USER_BY_EMAIL.first(email=normalize_email(email))


_USER_BY_EMAIL = PreparedObjects(
    User, lambda *, email: User.objects.filter(email=email).order_by()[:1], email=str
)


def account_exists(*, email: str) -> bool:
    """Whether a person with this e-mail can log in (a pending contact cannot yet)."""
    user = user_find(email=email)
    return user is not None and user.is_registered


def membership_get(*, user, gaid: str) -> Membership:
    """The user's membership in the company with this GAID; NotFound (404) if none."""
    membership = (
        Membership.objects.select_related("company", "user")
        .filter(user=user, company__gaid=gaid)
        .first()
    )
    if membership is None:
        company_merged_check(user=user, gaid=gaid)
        raise NotFound()
    return membership


def company_merged_check(*, user, gaid: str, staff: bool = False) -> None:
    """410 `company_merged` naming the target when the company with this GAID was merged into
    another (rule 26) and the caller may see that one: vendor staff (`staff`) or a member of
    the target. Anyone else learns nothing (the caller answers 404)."""
    company = Company.objects.filter(gaid=gaid, merged_into__isnull=False).first()
    if company is None:
        return
    target = company_merge_target(company=company)
    if staff or Membership.objects.filter(user=user, company=target).exists():
        raise Gone(
            _("%(gaid)s was merged into %(name)s (%(target)s).")
            % {"gaid": company.gaid, "name": target.name, "target": target.gaid},
            code=AccountError.COMPANY_MERGED,
            extra={"merged_into": target.gaid},
        )


def company_merge_target(*, company: Company) -> Company:
    """Where a merged company's things are now: the end of its `merged_into` chain (a company
    merged into one that was merged later)."""
    seen = {company.pk}
    while company.merged_into_id is not None and company.merged_into_id not in seen:
        seen.add(company.merged_into_id)
        company = Company.objects.get(pk=company.merged_into_id)
    return company


def memberships_of(*, user, gaids=None):
    """The person's memberships by company name; with `gaids` (an API token's companies,
    `Principal.companies`) only those companies', None meaning every one."""
    memberships = Membership.objects.select_related("company").filter(user=user)
    if gaids is not None:
        memberships = memberships.filter(company__gaid__in=sorted(gaids))
    return memberships.order_by("company__name", "company__gaid")


def mail_recipients(*, company, topic: MailTopic | str | None = None) -> list[User]:
    """Who gets a company's mail about its licenses: every active administrator, always, and
    every active member who opted in to `topic`, by e-mail. Without a topic: the expiry opt-in
    (what the one opt-in there was meant for the expiry reminders)."""
    return [
        m.user
        for m in Membership.objects.filter(company=company, user__is_active=True)
        .filter(Membership.mailed(topic))
        .select_related("user")
        .order_by("user__email")
    ]


def administrators_addresses(company_id: int) -> list[tuple[str, str]]:
    """(e-mail, language) of the company's active administrators, by e-mail."""
    return [
        (email, language or "en")
        for email, language in Membership.objects.filter(
            company_id=company_id, role=Role.ADMINISTRATOR, user__is_active=True
        )
        .order_by("user__email")
        .values_list("user__email", "user__language")
    ]


def administrators_of(*, company) -> list[User]:
    """The company's active administrators, by e-mail: who hears of the vendor's corrections
    to its account (rule 26), whatever their mail opt-ins."""
    return [
        m.user
        for m in Membership.objects.filter(
            company=company, role=Role.ADMINISTRATOR, user__is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    ]


def companies_solely_administered(*, user) -> list[Company]:
    """The companies whose only administrator this person is, by name (they cannot leave
    them: their account cannot be deleted while there is one)."""
    mine = Membership.objects.filter(user=user, role=Role.ADMINISTRATOR).values("company_id")
    others = (
        Membership.objects.filter(company_id__in=mine, role=Role.ADMINISTRATOR)
        .exclude(user=user)
        .values("company_id")
    )
    return list(Company.objects.filter(pk__in=mine).exclude(pk__in=others).order_by("name", "gaid"))


def company_find(*, gaid: str) -> Company | None:
    """The company with this GAID (letters in any case, spaces around ignored), or None."""
    return Company.objects.filter(gaid=(gaid or "").strip().upper()).first()


def company_has_administrator(*, company: Company) -> bool:
    """Whether the company has an administrator (a pending one of rule 4 counts: the order made
    them its administrator). A service deciding on it holds the company's row lock."""
    return Membership.objects.filter(company=company, role=Role.ADMINISTRATOR).exists()


def company_find_by_customer_number(*, customer_number: str) -> Company | None:
    """The company with this ERP customer number (exactly as the ERP writes it), or None."""
    return Company.objects.filter(customer_number=customer_number).first()


# --- two-factor sign-in --------------------------------------------------------------------


def two_factor_get(*, user) -> TwoFactor | None:
    """The person's second factor (active or being set up), or None."""
    return TwoFactor.objects.filter(user=user).first()


def two_factor_active(*, user) -> bool:
    """Whether the person signs in with a second factor."""
    return TwoFactor.objects.filter(user=user).exclude(secret="").exists()


def membership_two_factor_ok(membership: Membership) -> bool:
    """False when the membership's company requires two-factor sign-in (rule 17) and its
    member has not turned it on. Core's company check asks this (registered in apps.py); it
    costs a query only for companies that require it."""
    if not membership.company.require_2fa:
        return True
    return two_factor_active(user=membership.user)


def companies_requiring_two_factor(*, user) -> list[Company]:
    """The person's companies that require two-factor sign-in, by name."""
    return list(
        Company.objects.filter(memberships__user=user, require_2fa=True).order_by("name", "gaid")
    )


# --- a company's members, invitations and access requests ----------------------------------


def member_list(*, membership: Membership):
    """The members of the acting membership's company, by e-mail."""
    return (
        Membership.objects.select_related("user")
        .filter(company_id=membership.company_id)
        .order_by("user__email")
    )


def member_find(*, company: Company, email: str) -> Membership | None:
    """The membership of the person with this e-mail in the company, with its user; None if
    they are not a member."""
    return (
        Membership.objects.select_related("user")
        .filter(company=company, user__email=normalize_email(email))
        .first()
    )


def customer_number_taken(*, customer_number: str, other_than: Company | None = None) -> bool:
    """Whether a company (other than `other_than`) has this ERP customer number."""
    companies = Company.objects.filter(customer_number=customer_number)
    if other_than is not None:
        companies = companies.exclude(pk=other_than.pk)
    return companies.exists()


def invitation_list_pending(*, membership: Membership):
    """The company's invitations that can still be accepted, newest first."""
    return (
        Invitation.objects.select_related("invited_by")
        .filter(
            company_id=membership.company_id,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at", "-pk")
    )


def invitation_get(*, token: str) -> Invitation:
    """The invitation behind a link token (any state); NotFound for an unknown token."""
    invitation = (
        Invitation.objects.select_related("company").filter(token_hash=token_hash(token)).first()
    )
    if invitation is None:
        raise NotFound(
            _("This invitation link is not valid."), code=AccountError.INVITATION_NOT_FOUND
        )
    return invitation_newest(invitation)


def invitation_newest(invitation: Invitation) -> Invitation:
    """The invitation a link leads to: itself, or, when the same address was invited again
    (`replaced_by`), the newest of that chain, so an earlier mail's link keeps working while
    the person is still invited. A withdrawn or accepted newest one says so as usual."""
    seen = {invitation.pk}
    while invitation.replaced_by_id is not None and invitation.replaced_by_id not in seen:
        seen.add(invitation.replaced_by_id)
        invitation = Invitation.objects.select_related("company").get(pk=invitation.replaced_by_id)
    return invitation


def access_request_list_pending(*, membership: Membership):
    """The company's unresolved access requests (order contacts waiting for an invitation)."""
    return AccessRequest.objects.filter(
        company_id=membership.company_id, resolved_at__isnull=True
    ).order_by("created_at", "pk")


def access_request_pending_find(*, company: Company, email: str) -> AccessRequest | None:
    """The company's unresolved access request of this e-mail, if there is one."""
    return AccessRequest.objects.filter(
        company=company, email=normalize_email(email), resolved_at__isnull=True
    ).first()


# --- credentials ---------------------------------------------------------------------------


SIGN_INS_SHOWN = 50


def session_list(*, user):
    """The person's open portal sessions, the most recently seen first."""
    return UserSession.objects.filter(user=user).order_by("-last_seen_at", "-pk")


def sign_in_list(*, user):
    """The person's last 50 sign-ins (failed ones too), newest first."""
    return SignIn.objects.filter(user=user).order_by("-at", "-pk")[:SIGN_INS_SHOWN]


def user_by_email(*, email: str):
    """The active person with this canonical e-mail, or None."""
    return User.objects.filter(email=email, is_active=True).first()


def api_token_list(*, user):
    """The user's working API tokens (not revoked, not expired), newest first."""
    return ApiToken.objects.filter(ApiToken.live(), user=user).order_by("-created_at", "-pk")


def principal_for_user_token(token: str) -> Principal | None:
    """The user behind an API token (`ilpu_…`), if it is live (neither revoked nor expired)
    and its user active."""
    found = (
        ApiToken.objects.select_related("user")
        .filter(ApiToken.live(), token_hash=token_hash(token), user__is_active=True)
        .order_by()[:1]
    )
    api_token = next(iter(found), None)
    if api_token is None:
        return None
    last_used_touch(api_token)
    return Principal(
        kind="user",
        user=api_token.user,
        api_token=api_token,
        scopes=frozenset(api_token.scopes or ()),
        companies=None if api_token.companies is None else frozenset(api_token.companies),
    )


_STAFF_TOKEN = PreparedObjects(
    StaffToken,
    lambda *, digest: StaffToken.objects.filter(
        token_hash=digest, revoked_at__isnull=True
    ).order_by()[:1],
    digest=str,
)


def principal_for_staff_token(token: str) -> Principal | None:
    """The vendor back-office token (`ilps_…`), if it is live."""
    staff = _STAFF_TOKEN.first(digest=token_hash(token))
    if staff is None:
        return None
    last_used_touch(staff)
    return Principal(kind="staff", staff_token=staff)


def user_active_get(*, pk) -> User | None:
    """The active person with this id, or None."""
    if not pk:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


# --- vendor staff --------------------------------------------------------------------------


def staff_standing_of(user) -> StaffStanding | None:
    """The person's standing in the vendor's back office (registered with core in apps.py):
    their StaffMember role (a superuser without one is `staff_admin`), and whether two-factor
    sign-in is on — staff need it. None for everyone else. One query."""
    if not user.is_active or not (user.is_staff or user.is_superuser):
        return None
    on = TwoFactor.objects.filter(user=OuterRef("pk")).exclude(secret="")
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(second_factor=Exists(on))
        .values("staff_member__role", "second_factor")
        .first()
    )
    if row is None:
        return None
    role = row["staff_member__role"] or (StaffRole.STAFF_ADMIN if user.is_superuser else None)
    if role is None:
        return None
    return StaffStanding(role=role, second_factor=row["second_factor"])


def company_staff_view(*, gaid: str, user=None) -> Membership:
    """Vendor staff's read-only view of a company (rule 25): an unsaved administrator's
    membership marked `is_staff_view`, so every selector shows what an administrator sees;
    core refuses every write through it. NotFound (404) for an unknown GAID."""
    company = Company.objects.filter(gaid=gaid).first()
    if company is None:
        raise NotFound()
    if company.merged_into_id is not None:  # 410 `company_merged`: staff see where it went
        company_merged_check(user=user, gaid=gaid, staff=True)
    view = Membership(company=company, user=user, role=Role.ADMINISTRATOR)
    view.is_staff_view = True
    return view


def staff_member_list():
    """The vendor's staff with their accounts, by e-mail; each with `second_factor` (whether
    they can open the back office yet)."""
    on = TwoFactor.objects.filter(user=OuterRef("user_id")).exclude(secret="")
    return (
        StaffMember.objects.select_related("user")
        .annotate(second_factor=Exists(on))
        .order_by("user__email")
    )


def staff_member_get(*, staff_member_id: int) -> StaffMember:
    found = staff_member_list().filter(pk=staff_member_id).first()
    if found is None:
        raise NotFound(_("No such staff member."), code=AccountError.STAFF_MEMBER_NOT_FOUND)
    return found


def staff_token_list():
    """The staff tokens that still work, newest first."""
    return StaffToken.objects.filter(revoked_at__isnull=True).order_by("-created_at", "-pk")


def member_search(*, membership: Membership, q: str, limit: int) -> list[dict]:
    """Company search (API.md, third round): members whose e-mail or name contains `q`."""
    text = (q or "").strip()
    if not text:
        return []
    found = member_list(membership=membership).filter(
        Q(user__email__icontains=text)
        | Q(user__first_name__icontains=text)
        | Q(user__last_name__icontains=text)
    )[:limit]
    return [
        {
            "kind": "member",
            "id": m.user.email,
            "label": f"{m.user.full_name} · {m.user.email} · {m.get_role_display()}",
        }
        for m in found
    ]


# --- duplicates ------------------------------------------------------------------------------


def company_name_canonical(name: str) -> str:
    """A company name as duplicates are compared (`GET /staff/duplicates`): accents, case,
    punctuation and spacing ignored ("Harbour-Freight GmbH" = "harbour freight gmbh")."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def _postal(code: str) -> str:
    return "".join((code or "").split()).upper()


def company_duplicates() -> list[dict]:
    """Groups of live companies that look like one customer: the same canonical name, postal
    code and country, or the same ERP customer number (one customer number per company is
    unique, so that rule finds none today; it stays for numbers written differently, spaces
    and case ignored). Each group once, by its first GAID."""
    rows = list(
        Company.objects.filter(merged_into__isnull=True)
        .filter(~Q(name=""))
        .order_by("created_at", "pk")
        .values_list("gaid", "name", "postal_code", "country", "customer_number")
    )
    groups: dict[tuple, list[str]] = {}
    for gaid, name, postal, country, number in rows:
        groups.setdefault(
            ("address", company_name_canonical(name), _postal(postal), (country or "").upper()),
            [],
        ).append(gaid)
        if number:
            groups.setdefault(("number", "".join(number.split()).upper()), []).append(gaid)
    found, seen = [], set()
    for key, gaids in groups.items():
        if len(gaids) < 2 or tuple(gaids) in seen:
            continue
        seen.add(tuple(gaids))
        found.append(
            {
                "companies": gaids,
                "reason": "same_name_and_address"
                if key[0] == "address"
                else "same_customer_number",
            }
        )
    return found
