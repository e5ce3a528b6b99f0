"""ALD tokens (rule 23): one per subscription key, generated, regenerated and revoked by an
administrator or service provider of the key's company. Shown once, stored hashed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.auth import ALD_TOKEN_PREFIX
from ilp.core.idempotency import credential_forget
from ilp.core.ids import new_token, token_hash

from ..audit_actions import AuditAction
from ..models import AldToken


@transaction.atomic
def ald_token_generate(*, actor: Actor, key) -> str:
    """A new ALD token for `key` (looked up in the caller's scope); an existing one is
    replaced and stops working with this commit. Returns the token (shown once)."""
    token = new_token(ALD_TOKEN_PREFIX)
    current = AldToken.objects.select_for_update().filter(subscription_key=key).first()
    if current is None:
        AldToken.objects.create(
            subscription_key=key, company_id=key.company_id, token_hash=token_hash(token)
        )
    else:
        credential_forget(current.token_hash)  # the old token's replay rows go with it
        current.token_hash = token_hash(token)
        current.created_at = timezone.now()
        current.last_used_at = None
        current.save(update_fields=["token_hash", "created_at", "last_used_at"])
    event_record(
        actor=actor,
        action=AuditAction.ALD_TOKEN_REGENERATED
        if current is not None
        else AuditAction.ALD_TOKEN_GENERATED,
        obj_type="subscription_key",
        obj_id=key.key,
        company=key.company,
    )
    return token


@transaction.atomic
def ald_token_revoke(*, actor: Actor, key) -> bool:
    """Revoke the key's ALD token: it stops working with this commit. False if there was
    none (a repeated DELETE). Licenses issued through it stay until returned."""
    tokens = AldToken.objects.filter(subscription_key=key)
    credential_forget(*tokens.values_list("token_hash", flat=True))
    deleted, _rows = tokens.delete()
    if not deleted:
        return False
    event_record(
        actor=actor,
        action=AuditAction.ALD_TOKEN_REVOKED,
        obj_type="subscription_key",
        obj_id=key.key,
        company=key.company,
    )
    return True
