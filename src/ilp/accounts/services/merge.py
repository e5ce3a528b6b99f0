"""A duplicate company merged into another by vendor staff, accounts' side (rule 26).

Rollout orchestrates the merge (`rollout.services.corrections.company_merge`): it locks the
two companies here, checks and moves licensing's and its own rows, then calls
`company_members_merge` and `company_integrations_drop` — one transaction.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import Invalid, NotFound

from ..errors import AccountError
from ..models import AccessRequest, ApiToken, Company, Invitation, Membership, User
from .tokens import api_tokens_company_drop

# The higher role wins when a person is a member of both companies.
ROLE_RANK = {Role.USER: 0, Role.SERVICE_PROVIDER: 1, Role.ADMINISTRATOR: 2}


def company_merge_lock(*, source_gaid: str, target_gaid: str) -> tuple[Company, Company]:
    """Lock both companies (primary-key order): 404 when either is unknown or merged already;
    422 `merge_same_company` for one company twice."""
    gaids = {(g or "").strip().upper() for g in (source_gaid, target_gaid)}
    if len(gaids) == 1:
        raise Invalid(
            _("A company cannot be merged into itself."), code=AccountError.MERGE_SAME_COMPANY
        )
    found = {
        c.gaid: c
        for c in Company.objects.select_for_update(no_key=True)
        .filter(gaid__in=gaids, merged_into__isnull=True)
        .order_by("pk")
    }
    for gaid in (source_gaid, target_gaid):
        if gaid.strip().upper() not in found:
            raise NotFound(_("No company %(gaid)s.") % {"gaid": gaid})
    return found[source_gaid.strip().upper()], found[target_gaid.strip().upper()]


def company_members_merge(*, source: Company, target: Company) -> dict:
    """Move the source's people to the target (the higher role wins for a member of both,
    and their mail opt-ins add up), its invitations and access requests too; people whose
    default company it was now default to the target; the target takes over the ERP
    customer number if it has none. Marks the source merged. The caller holds both rows'
    locks and writes the audit event."""
    theirs = {m.user_id: m for m in Membership.objects.select_for_update().filter(company=target)}
    moved, joined = [], []
    for member in Membership.objects.select_for_update().filter(company=source).order_by("pk"):
        existing = theirs.get(member.user_id)
        if existing is None:
            member.company = target
            member.save(update_fields=["company"])
            moved.append(member.user_id)
            continue
        if ROLE_RANK.get(member.role, 0) > ROLE_RANK.get(existing.role, 0):
            existing.role = member.role
        existing.notify = existing.notify or member.notify
        existing.notify_new_key = existing.notify_new_key or member.notify_new_key
        existing.save(update_fields=["role", "notify", "notify_new_key"])
        member.delete()
        joined.append(member.user_id)
    Invitation.objects.filter(company=source).update(company=target)
    AccessRequest.objects.filter(company=source).update(company=target)
    User.objects.filter(default_company=source).update(default_company=target)
    if source.customer_number and not target.customer_number:
        number, source.customer_number = source.customer_number, None
        source.save(update_fields=["customer_number"])
        target.customer_number = number
        target.save(update_fields=["customer_number"])
    source.merged_into = target
    source.merged_at = timezone.now()
    source.save(update_fields=["merged_into", "merged_at"])
    return {"members_moved": len(moved), "members_in_both": len(joined)}


def company_integrations_drop(*, actor: Actor, company: Company) -> dict:
    """Accounts' part of cutting a merged company's connections (API.md, third round): the
    API tokens limited to it are revoked, or lose it when limited to others too
    (`api_tokens_company_drop`). Its domains, SSO settings, SCIM token and webhooks belong to
    the apps above; the merge's orchestration drops them (rollout's corrections)."""
    holders = {
        t.user_id
        for t in ApiToken.objects.filter(ApiToken.live(), companies__isnull=False).only(
            "user_id", "companies"
        )
        if company.gaid in (t.companies or [])
    }
    revoked = sum(
        api_tokens_company_drop(actor=actor, user=user, company=company)
        for user in User.objects.filter(pk__in=holders).order_by("pk")
    )
    return {"api_tokens_revoked": revoked}
