"""Writes of single sign-on: a company's provider, its domains (verified by DNS), and the
sign-in through the provider (with just-in-time membership). Each write is one transaction
with its audit event (and its mail)."""

import re
import secrets
from dataclasses import dataclass

import dns.exception
import dns.resolver
import idna
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.accounts.models import Company, User, normalize_email
from ilp.accounts.selectors import member_find, user_find
from ilp.accounts.services import (
    company_sso_required_set,
    member_add,
    user_create_without_password,
)
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.authz import Permission, require
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.notifications.services import mail_enqueue

from . import oidc
from .audit_actions import AuditAction
from .errors import SsoDenied, SsoError
from .models import JIT_ROLES, CompanyDomain, CompanySso
from .outbound import issuer_url_check
from .selectors import domain_get, email_domain

# --- the company's provider ----------------------------------------------------------------


@transaction.atomic
def sso_set(
    *,
    actor: Actor,
    membership,
    issuer: str,
    client_id: str,
    client_secret: str,
    jit_role: str | None,
    require_sso: bool,
) -> CompanySso:
    """Set the company's OpenID provider (administrators). The issuer must follow the
    outbound URL rules (422 `issuer_not_allowed`); the secret is stored encrypted."""
    require(membership, Permission.MANAGE_SSO)
    issuer = (issuer or "").strip().rstrip("/")
    issuer_url_check(issuer)
    if jit_role and jit_role not in JIT_ROLES:
        raise Invalid(_("Choose user or service provider."), code=SsoError.SSO_FAILED)
    company = Company.objects.select_for_update().get(pk=membership.company_id)
    sso = CompanySso.objects.select_for_update().filter(company=company).first()
    before = _sso_audit(sso) if sso else None
    if sso is None:
        sso = CompanySso(company=company)
    sso.issuer = issuer
    sso.client_id = client_id.strip()
    sso.client_secret = client_secret
    sso.jit_role = jit_role or ""
    sso.require_sso = require_sso
    sso.updated_at = timezone.now()
    sso.save()
    company_sso_required_set(company=company, required=require_sso)
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.SSO_CONFIGURED,
        obj_type="sso",
        obj_id=company.gaid,
        before=before,
        after=_sso_audit(sso),
    )
    return sso


def _sso_audit(sso: CompanySso) -> dict:
    return {
        "issuer": sso.issuer,
        "client_id": sso.client_id,
        "jit_role": sso.jit_role or None,
        "require_sso": sso.require_sso,
    }


@transaction.atomic
def sso_delete(*, actor: Actor, membership) -> None:
    """Remove the company's provider: its members sign in by password again."""
    require(membership, Permission.MANAGE_SSO)
    company = Company.objects.select_for_update().get(pk=membership.company_id)
    sso = CompanySso.objects.filter(company=company).first()
    if sso is None:
        raise NotFound(code=SsoError.SSO_NOT_CONFIGURED)
    before = _sso_audit(sso)
    sso.delete()
    company_sso_required_set(company=company, required=False)
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.SSO_REMOVED,
        obj_type="sso",
        obj_id=company.gaid,
        before=before,
    )


# --- domains -------------------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def domain_ascii(domain: str) -> str:
    """The domain as DNS asks for it (IDNA 2008, as e-mail delivery: core/emails.py)."""
    return idna.encode(domain, uts46=True, transitional=False).decode("ascii")


def domain_normalize(domain: str) -> str:
    """The domain in the form e-mail addresses carry it (canonical: NFKC, lower case, the
    Unicode form, core/emails.py); 422 `invalid_domain` unless it is a name of at least two
    labels."""
    name = normalize_email(domain).rstrip(".")
    try:
        ascii_name = domain_ascii(name)
        name = idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError, ValueError):
        ascii_name = ""
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.match(x) for x in labels):
        raise Invalid(_("Enter a domain name such as example.com."), code=SsoError.INVALID_DOMAIN)
    return name


@transaction.atomic
def domain_add(*, actor: Actor, membership, domain: str) -> CompanyDomain:
    """Claim an e-mail domain for the company; verified later by a DNS TXT record."""
    require(membership, Permission.MANAGE_SSO)
    name = domain_normalize(domain)
    if CompanyDomain.objects.filter(company_id=membership.company_id, domain=name).exists():
        raise Conflict(_("The company has this domain already."), code=SsoError.DOMAIN_EXISTS)
    if CompanyDomain.objects.filter(domain=name, verified_at__isnull=False).exists():
        raise Conflict(_("Another company verified this domain."), code=SsoError.DOMAIN_TAKEN)
    found = CompanyDomain.objects.create(
        company_id=membership.company_id, domain=name, token=secrets.token_urlsafe(24)
    )
    event_record(
        actor=actor,
        company=membership.company,
        action=AuditAction.DOMAIN_ADDED,
        obj_type="domain",
        obj_id=name,
    )
    return found


def _resolver() -> dns.resolver.Resolver:
    configured = settings.ILP_DNS_RESOLVER
    if not configured:
        return dns.resolver.Resolver()
    host, _sep, port = configured.rpartition(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host.strip("[]")]
    resolver.port = int(port)
    return resolver


def domain_txt_values(domain: str) -> list[str]:
    """The TXT strings of the domain (each record's strings joined); [] when there are none
    or the look-up failed."""
    resolver = _resolver()
    resolver.lifetime = 5.0
    try:
        answer = resolver.resolve(domain, "TXT")
    except (dns.exception.DNSException, OSError):
        return []
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def domain_verify(*, actor: Actor, membership, domain: str) -> CompanyDomain:
    """Verify the domain by its DNS TXT record: 409 `domain_not_verified` without the value,
    409 `domain_taken` once another company verified it."""
    found = domain_get(membership=membership, domain=domain)
    if found.verified:
        return found
    if found.verification not in domain_txt_values(domain_ascii(found.domain)):
        raise Conflict(
            _("No TXT record of %(domain)s holds %(value)s yet. DNS changes can take a while.")
            % {"domain": found.domain, "value": found.verification},
            code=SsoError.DOMAIN_NOT_VERIFIED,
        )
    try:
        with transaction.atomic():
            return _domain_verified(actor=actor, membership=membership, pk=found.pk)
    except IntegrityError:  # another company's verification won the race
        raise _taken() from None


def _taken() -> Conflict:
    return Conflict(_("Another company verified this domain."), code=SsoError.DOMAIN_TAKEN)


def _domain_verified(*, actor: Actor, membership, pk: int) -> CompanyDomain:
    found = CompanyDomain.objects.select_for_update().get(pk=pk)
    if found.verified:
        return found
    if (
        CompanyDomain.objects.filter(domain=found.domain, verified_at__isnull=False)
        .exclude(pk=pk)
        .exists()
    ):
        raise _taken()
    found.verified_at = timezone.now()
    found.save(update_fields=["verified_at"])  # the unique constraint decides a race
    event_record(
        actor=actor,
        company=membership.company,
        action=AuditAction.DOMAIN_VERIFIED,
        obj_type="domain",
        obj_id=found.domain,
    )
    return found


@transaction.atomic
def domain_delete(*, actor: Actor, membership, domain: str) -> None:
    """Give a domain up; its addresses no longer sign in through the company's provider."""
    found = domain_get(membership=membership, domain=domain)
    found.delete()
    event_record(
        actor=actor,
        company=membership.company,
        action=AuditAction.DOMAIN_REMOVED,
        obj_type="domain",
        obj_id=found.domain,
        before={"verified": found.verified},
    )


# --- signing in through the company's provider ---------------------------------------------


@dataclass
class SsoOutcome:
    user: User
    company: Company
    joined: bool  # just-in-time membership


def _client(sso: CompanySso) -> oidc.Client:
    return oidc.Client(issuer=sso.issuer, client_id=sso.client_id, client_secret=sso.client_secret)


def sso_person(*, sso: CompanySso, claims: dict) -> SsoOutcome:
    """Whom the checked ID token signs in: the person with its canonical e-mail, which must be
    at a domain the provider's company verified (else 403 `sso_email_not_allowed`). With a
    just-in-time role, a person without membership becomes a member (and an account is made
    for a new address); without one, a new address is refused (403 `sso_no_membership`)."""
    email = normalize_email(claims.get("email"))
    domain = email_domain(email)
    if (
        not domain
        or not CompanyDomain.objects.filter(
            company_id=sso.company_id, domain=domain, verified_at__isnull=False
        ).exists()
    ):
        raise SsoDenied(
            _(
                "Your company's sign-in service vouched for %(email)s, but %(company)s has not "
                "verified that address's domain. Ask your administrator."
            )
            % {"email": email or "?", "company": sso.company.name},
            code=SsoError.SSO_EMAIL_NOT_ALLOWED,
        )
    try:
        return _person_join(sso=sso, email=email, claims=claims)
    except (IntegrityError, Conflict):
        # The same person's other first sign-in made the account or the membership a moment
        # ago (two tabs): the second finds them now.
        return _person_join(sso=sso, email=email, claims=claims)


@transaction.atomic
def _person_join(*, sso: CompanySso, email: str, claims: dict) -> SsoOutcome:
    company = sso.company
    user = user_find(email=email)
    if user is not None and not user.is_active:
        raise SsoDenied(
            _("The account of %(email)s is closed.") % {"email": email},
            code=SsoError.SSO_NO_MEMBERSHIP,
        )
    member = member_find(company=company, email=email) if user is not None else None
    if member is not None:
        return SsoOutcome(user=user, company=company, joined=False)
    if not sso.jit_role:
        if user is not None:  # a person of another company: signs in, sees what is theirs
            return SsoOutcome(user=user, company=company, joined=False)
        raise SsoDenied(
            _("%(company)s has no account for %(email)s yet. Ask your administrator to invite you.")
            % {"company": company.name, "email": email},
            code=SsoError.SSO_NO_MEMBERSHIP,
        )
    if user is None:
        user = user_create_without_password(
            email=email,
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
        )
    actor = Actor.for_user(user)
    member_add(actor=actor, company=company, user=user, role=sso.jit_role)
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.MEMBER_JOINED_BY_SSO,
        obj_type="membership",
        obj_id=email,
        after={"role": sso.jit_role, "issuer": sso.issuer},
    )
    mail_enqueue(
        to=email,
        template="sso_member_joined",
        language=user.language or "en",
        context={
            "first_name": user.first_name,
            "company_name": company.name,
            "gaid": company.gaid,
            "role": sso.jit_role,
            "link": settings.ILP_BASE_URL + "/",
        },
    )
    return SsoOutcome(user=user, company=company, joined=True)


def sso_client(sso: CompanySso) -> oidc.Client:
    return _client(sso)


@transaction.atomic
def company_sso_drop(*, actor: Actor, company: Company) -> dict:
    """A company merged into another (vendor staff) keeps no provider and no domains: both
    go, each audited; returns what went (`{"sso": bool, "domains": [...]}`)."""
    sso = CompanySso.objects.filter(company=company).first()
    domains = list(CompanyDomain.objects.filter(company=company).order_by("domain"))
    if sso is not None:
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.SSO_REMOVED,
            obj_type="sso",
            obj_id=company.gaid,
            before=_sso_audit(sso),
        )
        sso.delete()
        company_sso_required_set(company=company, required=False)
    for found in domains:
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.DOMAIN_REMOVED,
            obj_type="domain",
            obj_id=found.domain,
            before={"verified": found.verified},
        )
        found.delete()
    return {"sso": sso is not None, "domains": [d.domain for d in domains]}
