"""The company's SCIM token: made (shown once) and revoked by an administrator."""

from ninja import Router, Schema, Status

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission
from ilp.core.idempotency import not_replayable
from ilp.core.problems import problems

from . import services

router = Router(tags=["scim"])


class ScimTokenOut(Schema):
    token: str


@router.post(
    "/companies/{gaid}/scim-token",
    response={201: ScimTokenOut, **problems(401, 403, 404)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
@not_replayable
def scim_token_create(request, gaid: str):
    """A new SCIM token for the company's identity provider (shown only here; the old one
    stops working). Use it as a Bearer token under `<ILP_BASE_URL>/scim/v2/{gaid}/`. A reused
    Idempotency-Key → 409 `idempotency_not_replayable`: a secret is never replayed."""
    raw = services.scim_token_issue(actor=request.auth.actor, company=request.auth.company)
    return Status(201, {"token": raw})


@router.delete(
    "/companies/{gaid}/scim-token",
    response={204: None, **problems(401, 403, 404)},
    auth=CompanyAuth(Permission.MANAGE_MEMBERS),
)
def scim_token_delete(request, gaid: str):
    """Revoke the company's SCIM token: provisioning stops at once (401)."""
    services.scim_token_revoke(actor=request.auth.actor, company=request.auth.company)
    return Status(204, None)
