"""Staff corrections (API.md, "Vendor back office (staff)"; DESIGN.md rules 25–26): cancel an
order's seats, transfer a subscription key, find and merge duplicate companies, resend an
order's contact mail. Each states a reason, is all-or-nothing and is replayed under
`Idempotency-Key` like every POST. The rules are the services': rollout's
`services/corrections.py` (seats and licenses together) and licensing's resend."""

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from ilp.accounts.selectors import company_duplicates
from ilp.core.auth import StaffAuth
from ilp.core.authz import StaffRole
from ilp.core.bounds import MAX_SEATS
from ilp.core.pagination import Paging
from ilp.core.problems import problems
from ilp.licensing.schemas import PackOut
from ilp.licensing.services.corrections import REASON_PATTERN, order_contact_mail_resend
from ilp.rollout.services.corrections import company_merge, key_transfer, order_cancel

router = Router(tags=["back office"])

REASON = Field(
    ...,
    min_length=1,
    max_length=500,
    pattern=REASON_PATTERN,
    description="Why (shown in the customer's audit log); not only blanks.",
)


class CancelItemIn(Schema):
    pack_id: str = Field(..., max_length=24)
    seats: int = Field(..., ge=1, le=MAX_SEATS)


class CancelIn(Schema):
    reason: str = REASON
    items: list[CancelItemIn] | None = Field(None, max_length=1000)
    return_licenses: bool = False


class ReturnedOut(Schema):
    license_id: str
    unit_id: str
    pack_id: str


class CancelOut(Schema):
    order_number: str
    status: str
    product_packs: list[PackOut]
    returned: list[ReturnedOut]


class TransferIn(Schema):
    to_gaid: str = Field(..., max_length=16)
    reason: str = REASON


class TransferOut(Schema):
    subscription_key: str
    from_gaid: str
    to_gaid: str
    product_packs: list[PackOut]
    revoked_licenses: int


class DuplicateOut(Schema):
    companies: list[str]
    reason: str = Field(..., description="same_name_and_address | same_customer_number")


class MergeIn(Schema):
    reason: str = REASON


class MergeOut(Schema):
    gaid: str
    merged_into: str
    moved: dict[str, int]


class ReasonIn(Schema):
    reason: str = REASON


class ResendOut(Schema):
    order_number: str
    mail: str = Field(
        ..., description="registration_finalise | administrator_assigned | access_requested"
    )


@router.post(
    "/orders/{order_number}/cancel",
    response={200: CancelOut, **problems(401, 403, 404, 409, 422)},
    auth=StaffAuth(StaffRole.OPERATOR),
)
def cancel_order(request, order_number: str, body: CancelIn):
    """Take back the seats an order delivered, all or per pack (409 `seats_in_use` with the
    devices in the way unless `return_licenses`)."""
    items = [(i.pack_id, i.seats) for i in body.items] if body.items is not None else None
    result = order_cancel(
        actor=request.auth.actor,
        order_number=order_number,
        reason=body.reason,
        items=items,
        return_licenses=body.return_licenses,
    )
    return {
        "order_number": result.order.order_number,
        "status": result.order.status,
        "product_packs": result.packs,
        "returned": result.returned,
    }


@router.post(
    "/subscription-keys/{key}/transfer",
    response={200: TransferOut, **problems(401, 403, 404, 409, 422)},
    auth=StaffAuth(StaffRole.OPERATOR),
)
def transfer_key(request, key: str, body: TransferIn):
    """Move a subscription key and its packs to another company (their licenses revoked)."""
    result = key_transfer(
        actor=request.auth.actor, key=key, to_gaid=body.to_gaid, reason=body.reason
    )
    return {
        "subscription_key": result.key.key,
        "from_gaid": result.from_company.gaid,
        "to_gaid": result.to_company.gaid,
        "product_packs": result.packs,
        "revoked_licenses": result.revoked,
    }


@router.get(
    "/duplicates",
    response={200: list[DuplicateOut], **problems(401, 403, 422)},
    auth=StaffAuth(StaffRole.SUPPORT),
)
@paginate(Paging)
def list_duplicates(request):
    """Companies that look like one customer (same canonical name, postal code and country,
    or the same customer number)."""
    return company_duplicates()


@router.post(
    "/companies/{gaid}/merge-into/{target_gaid}",
    response={200: MergeOut, **problems(401, 403, 404, 409, 422)},
    auth=StaffAuth(StaffRole.OPERATOR),
)
def merge_company(request, gaid: str, target_gaid: str, body: MergeIn):
    """Merge a duplicate company into another: everything moves; the old GAID answers 410."""
    result = company_merge(
        actor=request.auth.actor, gaid=gaid, target_gaid=target_gaid, reason=body.reason
    )
    return {"gaid": result.source.gaid, "merged_into": result.target.gaid, "moved": result.moved}


@router.post(
    "/orders/{order_number}/resend-contact-mail",
    response={202: ResendOut, **problems(401, 403, 404, 409, 422)},
    auth=StaffAuth(StaffRole.SUPPORT),
)
def resend_contact_mail(request, order_number: str, body: ReasonIn):
    """Send the order's contact mail again."""
    sent = order_contact_mail_resend(
        actor=request.auth.actor, order_number=order_number, reason=body.reason
    )
    return Status(202, {"order_number": order_number.strip(), "mail": sent})
