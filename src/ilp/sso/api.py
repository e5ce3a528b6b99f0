"""Single sign-on API: a company's OpenID provider and its verified domains."""

from ninja import Router, Status

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission
from ilp.core.problems import problems

from . import selectors, services
from .schemas import DomainIn, DomainOut, SsoIn, SsoOut

router = Router(tags=["single sign-on"])
ADMIN = CompanyAuth(Permission.MANAGE_SSO)


def _sso_out(membership) -> dict:
    sso = selectors.sso_get(membership=membership)
    return {
        "issuer": sso.issuer,
        "client_id": sso.client_id,
        "jit_role": sso.jit_role or None,
        "require_sso": sso.require_sso,
        "domains": list(selectors.domain_list(membership=membership)),
    }


@router.put(
    "/companies/{gaid}/sso", response={200: SsoOut, **problems(401, 403, 404, 422)}, auth=ADMIN
)
def sso_put(request, gaid: str, payload: SsoIn):
    """Set the company's OpenID provider (the secret is stored encrypted, never shown)."""
    services.sso_set(
        actor=request.auth.actor,
        membership=request.auth.membership,
        issuer=payload.issuer,
        client_id=payload.client_id,
        client_secret=payload.client_secret,
        jit_role=payload.jit_role,
        require_sso=payload.require_sso,
    )
    return _sso_out(request.auth.membership)


@router.get("/companies/{gaid}/sso", response={200: SsoOut, **problems(401, 403, 404)}, auth=ADMIN)
def sso_get(request, gaid: str):
    """The company's provider without its secret, and its domains; 404 without one."""
    return _sso_out(request.auth.membership)


@router.delete("/companies/{gaid}/sso", response={204: None, **problems(401, 403, 404)}, auth=ADMIN)
def sso_delete(request, gaid: str):
    """Remove the company's provider (domains stay)."""
    services.sso_delete(actor=request.auth.actor, membership=request.auth.membership)
    return Status(204, None)


@router.post(
    "/companies/{gaid}/domains",
    response={201: DomainOut, **problems(401, 403, 404, 409, 422)},
    auth=ADMIN,
)
def domain_add(request, gaid: str, payload: DomainIn):
    """Claim an e-mail domain; its DNS must then carry the TXT value `verification`."""
    found = services.domain_add(
        actor=request.auth.actor, membership=request.auth.membership, domain=payload.domain
    )
    return Status(201, found)


@router.get(
    "/companies/{gaid}/domains",
    response={200: list[DomainOut], **problems(401, 403, 404)},
    auth=ADMIN,
)
def domain_list(request, gaid: str):
    """The company's domains, verified or waiting for their TXT record."""
    return list(selectors.domain_list(membership=request.auth.membership))


@router.post(
    "/companies/{gaid}/domains/{domain}/verify",
    response={200: DomainOut, **problems(401, 403, 404, 409)},
    auth=ADMIN,
)
def domain_verify(request, gaid: str, domain: str):
    """Verify the domain by its DNS TXT record; 409 `domain_not_verified` without it, 409
    `domain_taken` when another company verified it first."""
    return services.domain_verify(
        actor=request.auth.actor, membership=request.auth.membership, domain=domain
    )


@router.delete(
    "/companies/{gaid}/domains/{domain}",
    response={204: None, **problems(401, 403, 404)},
    auth=ADMIN,
)
def domain_delete(request, gaid: str, domain: str):
    """Give the domain up."""
    services.domain_delete(
        actor=request.auth.actor, membership=request.auth.membership, domain=domain
    )
    return Status(204, None)
