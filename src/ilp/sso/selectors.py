"""Reads of single sign-on: a company's provider and domains, and who must use it."""

from ilp.accounts.models import normalize_email
from ilp.core.authz import Permission, has_permission, require
from ilp.core.errors import NotFound

from .errors import SsoError
from .models import CompanyDomain, CompanySso


def email_domain(email: str) -> str:
    """The domain of a canonical e-mail address ("" without one)."""
    return email.rpartition("@")[2] if "@" in email else ""


def membership_sso_ok(membership) -> bool:
    """False when the member's company requires its single sign-on of them: an address at one
    of its verified domains, and a role without the exemption (administrators keep password
    + two-factor for when the provider is down). Core asks this only of callers who did not
    sign in by SSO; it costs a query only for companies that require it."""
    company = membership.company
    if not company.sso_required or has_permission(membership.role, Permission.MANAGE_SSO):
        return True
    return not CompanyDomain.objects.filter(
        company_id=company.pk,
        domain=email_domain(membership.user.email),
        verified_at__isnull=False,
    ).exists()


def sso_get(*, membership) -> CompanySso:
    """The company's provider (administrators); NotFound when it has none."""
    require(membership, Permission.MANAGE_SSO)
    sso = CompanySso.objects.filter(company_id=membership.company_id).first()
    if sso is None:
        raise NotFound(code=SsoError.SSO_NOT_CONFIGURED)
    return sso


def domain_list(*, membership):
    require(membership, Permission.MANAGE_SSO)
    return CompanyDomain.objects.filter(company_id=membership.company_id).order_by("domain")


def domain_get(*, membership, domain: str) -> CompanyDomain:
    require(membership, Permission.MANAGE_SSO)
    found = CompanyDomain.objects.filter(
        company_id=membership.company_id, domain=normalize_email(domain).rstrip(".")
    ).first()
    if found is None:
        raise NotFound(code=SsoError.DOMAIN_NOT_FOUND)
    return found


def sso_for_email(email: str) -> CompanySso | None:
    """The provider of the company that verified this address's domain, if it has one."""
    domain = email_domain(email)
    if not domain:
        return None
    return (
        CompanySso.objects.select_related("company")
        .filter(
            company__domains__domain=domain,
            company__domains__verified_at__isnull=False,
        )
        .first()
    )


def sso_of_company(*, company_id: int) -> CompanySso | None:
    return CompanySso.objects.select_related("company").filter(company_id=company_id).first()


def domain_verified_by(*, company_id: int, domain: str) -> bool:
    return CompanyDomain.objects.filter(
        company_id=company_id, domain=domain, verified_at__isnull=False
    ).exists()
