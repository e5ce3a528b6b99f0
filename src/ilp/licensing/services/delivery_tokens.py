"""Legacy delivery tokens (orders before September 2021): staff issue one per order; a
customer administrator or service provider registers it once, and its packs land in the
selected company under a new subscription key."""

import datetime
import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, NotFound
from ilp.core.ids import crockford, token_hash

from ..audit_actions import AuditAction
from ..errors import DeliveryTokenError, EulaError, OrderError
from ..models import DeliveryToken
from ..selectors import vendor_eula_in_force
from .mail import new_key_mail
from .packs import invoice_date_check, items_validate, subscription_key_create

TOKEN_PREFIX = "DT"
TOKEN_GROUPS = 5  # 5 groups of 5 Crockford characters: 125 bits, typeable from paper
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def token_normalize(raw: str) -> str:
    """Canonical form of a typed token: upper case, spaces and dashes ignored, and the
    letters Crockford reads as digits (I, L → 1; O → 0) mapped, so a token read off paper
    matches however it was typed. `dt-7k3qx …` and `DT7K3QX…` are the same token."""
    text = re.sub(r"[\s\-_]", "", (raw or "").upper())
    if text.startswith(TOKEN_PREFIX):
        text = text[len(TOKEN_PREFIX) :]
    return TOKEN_PREFIX + text.translate(_ALIASES)


def _token_format(body: str) -> str:
    groups = [body[i : i + 5] for i in range(0, len(body), 5)]
    return "-".join([TOKEN_PREFIX, *groups])


@transaction.atomic
def delivery_token_issue(
    *, actor: Actor, order_number: str, invoice_date: datetime.date, items: list[dict]
) -> tuple[DeliveryToken, str]:
    """Issue a delivery token for a (legacy) order. Returns the row and the token in clear
    text, which is shown only this once; only its hash is stored."""
    order_number = (order_number or "").strip()
    if not order_number:
        raise Invalid(
            _("The order number is required."),
            code=OrderError.ORDER_NUMBER_REQUIRED,
            errors=[{"loc": ["body", "order_number"], "msg": _("Required.")}],
        )
    invoice_date_check(invoice_date)
    specs = items_validate(items)
    body = crockford(5 * TOKEN_GROUPS)
    token = _token_format(body)
    row = DeliveryToken.objects.create(
        token_hash=token_hash(token_normalize(token)),
        order_number=order_number,
        invoice_date=invoice_date,
        items=[
            {"product": s.product.sku, "seats": s.seats, "term_months": s.term_months}
            for s in specs
        ],
        issued_by=actor.label,
    )
    event_record(
        actor=actor,
        action=AuditAction.DELIVERY_TOKEN_ISSUED,
        obj_type="delivery_token",
        obj_id=row.pk,
        after={"order_number": order_number, "items": row.items},
    )
    return row, token


@transaction.atomic
def delivery_token_register(*, actor: Actor, membership, token: str, accept_eula: bool = False):
    """Register a delivery token into the membership's company: a new subscription key with
    one pack per item, starting on the token's invoice date. Single use: unknown → 404,
    already registered (here or elsewhere) → 409. Returns `(key, packs)`.

    Registering accepts the order's vendor EULA (rule 20), so the person must say so
    (`accept_eula`, the portal's tick; else 422 `eula_not_accepted`). Its packs have no
    order row and issue licenses at once (third-party EULAs of their products still wait).
    Routes reach it through rollout's `delivery_token_register`, which assigns the new packs
    to the company's auto-assign UMS in the same transaction.
    """
    if not accept_eula:
        raise Invalid(
            _("Accept the End User License Agreement to register the delivery token."),
            code=EulaError.EULA_NOT_ACCEPTED,
            errors=[{"loc": ["body", "accept_eula"], "msg": _("Must be true.")}],
        )
    digest = token_hash(token_normalize(token))
    row = DeliveryToken.objects.select_for_update().filter(token_hash=digest).first()
    if row is None:
        raise NotFound(
            _("This delivery token is unknown. Check it for typing errors."),
            code=DeliveryTokenError.DELIVERY_TOKEN_NOT_FOUND,
        )
    if row.registered_at is not None:
        raise Conflict(
            _("This delivery token was already registered on %(date)s.")
            % {"date": row.registered_at.date().isoformat()},
            code=DeliveryTokenError.DELIVERY_TOKEN_USED,
        )
    company = membership.company
    specs = items_validate(row.items)
    key, packs = subscription_key_create(company=company, starts_on=row.invoice_date, items=specs)
    eula = vendor_eula_in_force()
    row.registered_at = timezone.now()
    row.company = company
    row.subscription_key = key
    row.eula_version = eula
    row.eula_accepted_by = actor.label
    row.save(
        update_fields=[
            "registered_at",
            "company",
            "subscription_key",
            "eula_version",
            "eula_accepted_by",
        ]
    )

    new_key_mail(company=company, key=key, packs=packs)
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.DELIVERY_TOKEN_REGISTERED,
        obj_type="subscription_key",
        obj_id=key.key,
        after={
            "order_number": row.order_number,
            "product_packs": [{"id": p.pack_id, "seats": p.seats} for p in packs],
        },
    )
    if eula is not None:
        event_record(
            actor=actor,
            company=company,
            action=AuditAction.EULA_ACCEPTED,
            obj_type="delivery_token",
            obj_id=row.order_number,
            before={"eula_accepted": False},
            after={
                "eula": eula.eula.slug,
                "eula_title": eula.eula.title,
                "eula_version": eula.version,
                "accepted_at": row.registered_at.isoformat(),
                "subscription_key": key.key,
            },
        )
    return key, packs
