"""Orders from the vendor's back office (DESIGN.md rules 1–5).

`order_create` is how licenses arrive from the ERP: it finds or creates the end customer's
company, creates the subscription key and its packs (or hands a renewal to the renewals
service), handles the contact person, and queues the mails — all in one transaction,
idempotent by order number. Routes reach it through rollout's `order_place`, which in the
same transaction assigns the new packs (`order.packs_new`) to the company's auto-assign UMS
and notes their UMS in the stored answer (`order_packs_assigned`).
"""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ilp.accounts.models import Company
from ilp.accounts.selectors import (
    MailTopic,
    company_find,
    company_find_by_customer_number,
    company_merge_target,
    mail_recipients,
)
from ilp.accounts.services import company_create, contact_person_handle
from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.bulk import (
    object_update_later,
    objects_insert,
    objects_insert_later,
    objects_insert_new,
)
from ilp.core.errors import Conflict, Invalid
from ilp.notifications.services import mail_about

from ..audit_actions import AuditAction
from ..errors import OrderError
from ..models import Order, OrderItem, ProductPack, SubscriptionKey
from ..schemas import PackOut
from ..selectors import (
    order_eula_data,
    order_find,
    pack_list_of_company,
    subscription_key_find,
    vendor_eula_id_in_force,
)
from . import renewals
from .mail import new_key_mail, packs_added_mail
from .packs import (
    ItemSpec,
    invoice_date_check,
    items_validate,
    packs_add,
    subscription_key_create,
)


def canonical_hash(body: dict) -> str:
    """SHA-256 of the order body in a canonical JSON form (sorted keys, no whitespace), so
    that a replay differing only in key order or spacing counts as identical."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def pack_data(pack: ProductPack) -> dict:
    """A pack as API.md's object, as plain JSON data (for the stored order result)."""
    return PackOut.from_orm(pack).model_dump(mode="json")


def _invalid(loc: list, message: str, code: OrderError) -> Invalid:
    return Invalid(message, code=code, errors=[{"loc": loc, "msg": message}])


@transaction.atomic(savepoint=False)
def order_create(
    *,
    actor: Actor,
    order_number: str,
    kind: str,
    invoice_date: datetime.date,
    end_customer: dict,
    items: list[dict],
    contact: dict | None = None,
    subscription_key: str | None = None,
) -> tuple[Order, bool]:
    """Receive an order from the ERP. Returns `(order, created)`; `order.result` is the API
    response. Replaying an order number with the same body returns the first order
    (created False); with another body it is a 409 `order_conflict` (rule 3).

    A created order carries `order.packs_new`: the packs it made (a new key's, an add-on's,
    a renewal's extra seats), for the caller that assigns them. It opens no savepoint of
    its own inside an outer transaction: the caller's block (rollout's `order_place`) is
    the one that rolls back alone when it fails."""
    # Every mail the order causes (the contact's, the new key's) is listed on its page in the
    # back office.
    with mail_about(f"order:{(order_number or '').strip()}"):
        return _order_create(
            actor=actor,
            order_number=order_number,
            kind=kind,
            invoice_date=invoice_date,
            end_customer=end_customer,
            items=items,
            contact=contact,
            subscription_key=subscription_key,
        )


def _order_create(
    *,
    actor: Actor,
    order_number: str,
    kind: str,
    invoice_date: datetime.date,
    end_customer: dict,
    items: list[dict],
    contact: dict | None = None,
    subscription_key: str | None = None,
) -> tuple[Order, bool]:
    order_number = (order_number or "").strip()
    request_hash = canonical_hash(
        {
            "order_number": order_number,
            "kind": kind,
            "invoice_date": invoice_date.isoformat(),
            "end_customer": end_customer,
            "contact": contact,
            "subscription_key": subscription_key,
            "items": items,
        }
    )
    if not order_number:
        raise _invalid(
            ["body", "order_number"],
            _("The order number is required."),
            OrderError.ORDER_NUMBER_REQUIRED,
        )
    existing = order_find(order_number=order_number)
    if existing is not None:
        return _replay(existing, request_hash), False
    if kind not in Order.Kind.values:
        raise _invalid(["body", "kind"], _("Kind must be new or renewal."), OrderError.INVALID_KIND)
    invoice_date_check(invoice_date)
    specs = items_validate(items)

    key = None
    if kind == Order.Kind.RENEWAL:
        key = _renewal_key(subscription_key)
        company, company_created = _renewal_company(actor=actor, end_customer=end_customer, key=key)
    elif subscription_key:
        key = _named_key(subscription_key)
        company, company_created = _add_on_company(actor=actor, end_customer=end_customer, key=key)
    else:
        company, company_created = _company_match(
            actor=actor, end_customer=end_customer, create=True
        )
    order = _order_insert(
        order_number=order_number,
        kind=kind,
        invoice_date=invoice_date,
        company=company,
        subscription_key=key,
        contact=contact or None,
        company_created=company_created,
        request_hash=request_hash,
        # Rule 20: the vendor's EULA when a version of it is in force; with none, nothing to
        # accept and the order needs no acceptance.
        eula_id=vendor_eula_id_in_force(),
    )
    # A renewal's saved items are read back by the renewals service; other orders' are not.
    order_items = _order_items_create(order, specs, later=kind != Order.Kind.RENEWAL)
    if kind == Order.Kind.RENEWAL:
        status, packs = _renewal_fulfil(actor=actor, order=order, key=key, items=order_items)
    elif key is not None:
        status, packs = _add_on_fulfil(actor=actor, order=order, key=key, specs=specs)
    else:
        key, status, packs = _new_key_fulfil(actor=actor, order=order, company=company, specs=specs)
    order.contact_outcome = _contact_handle(
        actor=actor,
        company=company,
        contact=contact,
        order_number=order_number,
        company_new=company_created,
    )
    order.status = status
    order.packs_new = [p for p in packs if p.order_id == order.pk]
    packs = _order_result_save(order=order, company=company, key=key, packs=packs)
    _order_audit(
        actor=actor,
        order=order,
        company=company,
        key=key,
        packs=packs,
        add_on=kind == Order.Kind.NEW and bool(subscription_key),
    )
    return order, True


# --- which company and key -----------------------------------------------------------------


def _renewal_key(subscription_key: str | None) -> SubscriptionKey:
    """The key a renewal order names (422 when it names none or an unknown one)."""
    if not subscription_key:
        raise _invalid(
            ["body", "subscription_key"],
            _("A renewal order must name the subscription key it renews."),
            OrderError.SUBSCRIPTION_KEY_REQUIRED,
        )
    return _named_key(subscription_key)


def _named_key(subscription_key: str) -> SubscriptionKey:
    """The key an order names (422 `unknown_subscription_key` when there is none)."""
    key = subscription_key_find(key=subscription_key.strip().upper())
    if key is None:
        raise _invalid(
            ["body", "subscription_key"],
            _("No subscription key %(key)s.") % {"key": subscription_key},
            OrderError.UNKNOWN_SUBSCRIPTION_KEY,
        )
    return key


def _renewal_company(*, actor: Actor, end_customer: dict, key: SubscriptionKey):
    """A renewal's company is its key's; an end customer the order identifies must be it."""
    company, _created = _company_match(actor=actor, end_customer=end_customer, create=False)
    if company is None:
        return key.company, False
    if company.pk != key.company_id:
        raise _invalid(
            ["body", "subscription_key"],
            _("Subscription key %(key)s does not belong to this end customer.") % {"key": key.key},
            OrderError.SUBSCRIPTION_KEY_MISMATCH,
        )
    return company, False


def _add_on_company(*, actor: Actor, end_customer: dict, key: SubscriptionKey):
    """An add-on order's company (rule 19) is its key's, like a renewal's; an end customer
    the order identifies (GAID, known customer number) must be it, else 422
    `subscription_key_not_on_company`. An add-on never creates a company."""
    company, _created = _company_match(actor=actor, end_customer=end_customer, create=False)
    if company is None:
        return key.company, False
    if company.pk != key.company_id:
        raise _invalid(
            ["body", "subscription_key"],
            _("Subscription key %(key)s is not one of %(company)s's keys.")
            % {"key": key.key, "company": company.name},
            OrderError.SUBSCRIPTION_KEY_NOT_ON_COMPANY,
        )
    return company, False


def _company_match(
    *, actor: Actor, end_customer: dict, create: bool
) -> tuple[Company | None, bool]:
    """Rule 1: GAID, else ERP customer number, else (new orders) a company from the invoice."""
    gaid = (end_customer.get("gaid") or "").strip().upper()
    customer_number = (end_customer.get("customer_number") or "").strip()
    if gaid:
        company = company_find(gaid=gaid)
        if company is None:
            raise _invalid(
                ["body", "end_customer", "gaid"],
                _("No company has the Global Account ID %(gaid)s.") % {"gaid": gaid},
                OrderError.UNKNOWN_GAID,
            )
        # A GAID or customer number of a company merged into another (rule 26) names that
        # one: the ERP keeps sending what it knew.
        return company_merge_target(company=company), False
    if customer_number:
        company = company_find_by_customer_number(customer_number=customer_number)
        if company is not None:
            return company_merge_target(company=company), False
    if not create:
        return None, False
    return _company_from_invoice(
        actor=actor, end_customer=end_customer, customer_number=customer_number
    )


def _company_from_invoice(
    *, actor: Actor, end_customer: dict, customer_number: str
) -> tuple[Company, bool]:
    """A new company from the invoice address (or the one a concurrent order just made)."""
    name = (end_customer.get("name") or "").strip()
    if not name:
        raise _invalid(
            ["body", "end_customer", "name"],
            _("A new end customer needs a name."),
            OrderError.END_CUSTOMER_NAME_REQUIRED,
        )
    country = (end_customer.get("country") or "").strip().upper()
    if country and not (len(country) == 2 and country.isalpha()):
        raise _invalid(
            ["body", "end_customer", "country"],
            _("The country must be a two-letter code such as DE."),
            OrderError.INVALID_COUNTRY,
        )
    # company_create leaves this transaction usable when it raises IntegrityError.
    try:
        company = company_create(
            actor=actor,
            name=name,
            customer_number=customer_number or None,
            street=(end_customer.get("street") or "").strip(),
            postal_code=(end_customer.get("postal_code") or "").strip(),
            city=(end_customer.get("city") or "").strip(),
            country=country,
        )
    except IntegrityError:
        # Another order created the company with this customer number a moment ago.
        company = company_find_by_customer_number(customer_number=customer_number)
        if company is None:
            raise
        return company, False
    return company, True


# --- recording the order -------------------------------------------------------------------


def _order_insert(**fields) -> Order:
    """Insert the order row, or raise OrderRaced when a concurrent request holds its number."""
    # The unique order number is the lock: a concurrent duplicate waits here until the first
    # commits, then inserts nothing (ON CONFLICT DO NOTHING) and replays the first result.
    # The whole order is rolled back then (the caller's atomic block, a savepoint inside an
    # outer transaction such as the Idempotency-Key middleware's).
    order = Order(**fields)
    if not objects_insert_new([order], key="order_number"):
        transaction.set_rollback(True)
        raise OrderRaced(order_number=fields["order_number"], request_hash=fields["request_hash"])
    return order


def _order_items_create(order: Order, specs: list[ItemSpec], *, later: bool) -> list[OrderItem]:
    items = [
        OrderItem(order=order, product=s.product, seats=s.seats, term_months=s.term_months)
        for s in specs
    ]
    (objects_insert_later if later else objects_insert)(items)
    return items


# --- fulfilling it -------------------------------------------------------------------------


def _new_key_fulfil(
    *, actor: Actor, order: Order, company: Company, specs: list[ItemSpec]
) -> tuple[SubscriptionKey, str, list[ProductPack]]:
    """A new order: a new key with one pack per item, and the
    "new subscription key" mail. Returns `(key, status, packs)`."""
    # Who is told is settled before this order touches the company's people: the contact
    # person it makes administrator afterwards gets their own invitation mail, and must not
    # get this one as well. A company this order created has no members: nobody to ask for.
    recipients = (
        [] if order.company_created else mail_recipients(company=company, topic=MailTopic.NEW_KEY)
    )
    key, packs = subscription_key_create(
        company=company, starts_on=order.invoice_date, items=specs, order=order
    )
    order.subscription_key = key
    new_key_mail(company=company, key=key, packs=packs, recipients=recipients, order=order)
    return key, "fulfilled", packs


def _add_on_fulfil(
    *, actor: Actor, order: Order, key: SubscriptionKey, specs: list[ItemSpec]
) -> tuple[str, list[ProductPack]]:
    """An add-on order (rule 19, FAQ Q4): one pack per item under the existing key, and the
    "packs added" mail. Returns `(status, packs)`."""
    # As for a new key: settled before the contact person is handled.
    recipients = mail_recipients(company=order.company, topic=MailTopic.NEW_KEY)
    # The key's row lock serialises add-ons with renewals of the same key (renewals lock it
    # first too), so a renewal never counts seats while packs are being added.
    key = SubscriptionKey.objects.select_for_update().get(pk=key.pk)
    packs = packs_add(key=key, starts_on=order.invoice_date, items=specs, order=order)
    packs_added_mail(
        company=order.company, key=key, packs=packs, order=order, recipients=recipients
    )
    return "fulfilled", packs


def order_packs_assigned(*, order: Order) -> None:
    """Note in a just-created order's stored answer the UMS its new packs were assigned to
    (each pack's `assigned_to`, set by rollout's auto-assign in this same transaction)."""
    assigned = {p.pack_id: p.assigned_to for p in order.packs_new if p.assigned_to}
    if not assigned:
        return
    for item in order.result["product_packs"]:
        if item["id"] in assigned:
            item["ums_id"] = assigned[item["id"]]
    object_update_later(order, ["result"])


def _renewal_fulfil(
    *, actor: Actor, order: Order, key: SubscriptionKey, items: list[OrderItem]
) -> tuple[str, list[ProductPack]]:
    """A renewal order: the renewals service applies the saved OrderItems to the key."""
    status, packs = renewals.renewal_order_apply(
        actor=actor, order=order, subscription_key=key, items=items
    )
    return status, list(packs)


def _contact_handle(
    *,
    actor: Actor,
    company: Company,
    contact: dict | None,
    order_number: str,
    company_new: bool,
):
    if not contact:
        return None
    return contact_person_handle(
        actor=actor,
        company=company,
        contact=contact,
        order_number=order_number,
        company_new=company_new,
    )


def _order_result_save(
    *, order: Order, company: Company, key: SubscriptionKey, packs: list[ProductPack]
) -> list[ProductPack]:
    """Store the response body an identical replay returns; returns the packs as shown."""
    if order.kind == Order.Kind.RENEWAL:
        # The renewals service hands back packs it extended as well as made: read them back
        # as they now are (with the UMS of those already assigned).
        packs = pack_list_of_company(company=company, pks=[p.pk for p in packs])
    else:
        # Packs this order just made, in memory with their product, key and order (no UMS
        # yet: `order_packs_assigned`): shown as a read-back would, by pk.
        packs = sorted(packs, key=lambda p: p.pk)
    order.result = {
        "order_number": order.order_number,
        "kind": order.kind,
        "gaid": company.gaid,
        "company_created": order.company_created,
        "subscription_key": key.key,
        "status": order.status,
        "product_packs": [pack_data(p) for p in packs],
        "contact_outcome": order.contact_outcome,
        **order_eula_data(order),
    }
    object_update_later(order, ["subscription_key", "contact_outcome", "status", "result"])
    return packs


def _order_audit(
    *,
    actor: Actor,
    order: Order,
    company: Company,
    key: SubscriptionKey,
    packs: list,
    add_on: bool,
) -> None:
    event_record(
        actor=actor,
        company=company,
        action=AuditAction.ORDER_RECEIVED,
        obj_type="order",
        obj_id=order.order_number,
        after={
            "kind": order.kind,
            "add_on": add_on,
            "eula_pending": order.eula_pending,
            "subscription_key": key.key,
            "status": order.status,
            "company_created": order.company_created,
            "product_packs": [{"id": p.pack_id, "seats": p.seats} for p in packs],
            "contact_outcome": order.contact_outcome,
        },
    )


# --- replays and races ---------------------------------------------------------------------


def _replay(order: Order, request_hash: str) -> Order:
    if order.request_hash != request_hash:
        raise Conflict(
            _("Order %(n)s was already received with different contents.")
            % {"n": order.order_number},
            code=OrderError.ORDER_CONFLICT,
        )
    return order


class OrderRaced(Exception):
    """A concurrent request inserted the same order number first (`order_raced_replay`)."""

    def __init__(self, *, order_number: str, request_hash: str):
        super().__init__(order_number)
        self.order_number = order_number
        self.request_hash = request_hash


def order_raced_replay(raced: OrderRaced) -> Order:
    """The answer to an order whose transaction lost the race for its order number (it was
    rolled back): the committed first order replayed, or a 409 if the bodies differ.

    Callers that run inside an outer transaction (the Idempotency-Key middleware) still get
    a clean answer: the order's transaction is a savepoint that rolled back alone.
    """
    existing = order_find(order_number=raced.order_number)
    if existing is None:  # pragma: no cover - the other request rolled back after all
        raise Conflict(
            _("Order %(n)s is being received right now; retry.") % {"n": raced.order_number},
            code=OrderError.ORDER_IN_PROGRESS,
        ) from None
    return _replay(existing, raced.request_hash)
