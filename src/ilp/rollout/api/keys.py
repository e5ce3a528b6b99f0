"""The ALD token of a subscription key."""

from ninja import Router, Status

from ilp.core.idempotency import not_replayable
from ilp.core.problems import problems
from ilp.licensing.selectors import key_get

from .. import services
from ..schemas import AldTokenOut
from .common import MANAGE

router = Router(tags=["rollout"])


@router.post(
    "/companies/{gaid}/subscription-keys/{key}/ald-token",
    response={201: AldTokenOut, **problems(401, 403, 404)},
    auth=MANAGE,
)
@not_replayable
def ald_token_create(request, gaid: str, key: str):
    """Generate the key's ALD token (shown only here); a new one replaces the old at once."""
    subscription_key = key_get(membership=request.auth.membership, key=key)
    token = services.ald_token_generate(actor=request.auth.actor, key=subscription_key)
    return Status(201, {"ald_token": token})


@router.delete(
    "/companies/{gaid}/subscription-keys/{key}/ald-token",
    response={204: None, **problems(401, 403, 404)},
    auth=MANAGE,
)
def ald_token_delete(request, gaid: str, key: str):
    """Revoke the key's ALD token: it stops working at once (204 also when there is none)."""
    subscription_key = key_get(membership=request.auth.membership, key=key)
    services.ald_token_revoke(actor=request.auth.actor, key=subscription_key)
    return Status(204, None)
