"""Orders, products and delivery tokens: the company's order reads, the staff's order read
and delivery-token issue. `POST /orders` and delivery-token registration, whose new packs
rollout auto-assigns, are rollout's routes (`rollout/api/packs.py`)."""

from typing import Literal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from ilp.core.auth import AnyAuth, CompanyAuth, StaffAuth
from ilp.core.authz import Permission, StaffRole
from ilp.core.idempotency import not_replayable
from ilp.core.pagination import Paging
from ilp.core.problems import problems

from .. import selectors
from ..schemas import (
    CompanyOrderOut,
    DeliveryTokenIssued,
    DeliveryTokenIssueIn,
    EulaAcceptAllOut,
    EulaAcceptIn,
    OrderEulaOut,
    OrderOut,
    ProductList,
)
from ..services.delivery_tokens import delivery_token_issue
from ..services.eula import eulas_accept_all, order_eula_accept
from ..services.orders import pack_data

router = Router(tags=["licensing"])


class OrderFilters(Schema):
    eula: Literal["pending", "accepted"] | None = None


@router.get("/products", response={200: ProductList, **problems(401)}, auth=AnyAuth())
def list_products(request):
    """The product catalogue."""
    return {"items": list(selectors.products_list())}


@router.get(
    "/orders/{order_number}",
    response={200: OrderOut, **problems(401, 403, 404)},
    auth=StaffAuth(),
)
def get_order(request, order_number: str):
    """An order as `POST /orders` answered it, with its current status."""
    view = selectors.order_staff_view(order=selectors.order_get_staff(order_number=order_number))
    return {**view, "product_packs": [pack_data(p) for p in view["product_packs"]]}


@router.post(
    "/delivery-tokens",
    response={201: DeliveryTokenIssued, **problems(401, 403, 409, 422)},
    auth=StaffAuth(StaffRole.OPERATOR),
)
@not_replayable
def issue_delivery_token(request, body: DeliveryTokenIssueIn):
    """Issue a delivery token for a legacy order; the token is shown only in this answer."""
    _row, token = delivery_token_issue(
        actor=request.auth.actor,
        order_number=body.order_number,
        invoice_date=body.invoice_date,
        items=[item.model_dump(mode="json") for item in body.items],
    )
    return Status(201, {"token": token})


@router.get(
    "/companies/{gaid}/orders",
    response={200: list[CompanyOrderOut], **problems(401, 403, 404, 422)},
    auth=CompanyAuth(),
)
@paginate(Paging)
def list_company_orders(request, gaid: str, filters: Query[OrderFilters]):
    """The company's orders, newest invoice first; `eula=pending` those waiting for an EULA
    acceptance (the order's, or a third-party EULA of one of its packs)."""
    return selectors.order_list(membership=request.auth.membership, eula=filters.eula)


@router.get(
    "/companies/{gaid}/orders/{order_number}",
    response={200: CompanyOrderOut, **problems(401, 403, 404)},
    auth=CompanyAuth(),
)
def get_company_order(request, gaid: str, order_number: str):
    """One of the company's orders with its items and packs."""
    return selectors.order_get(membership=request.auth.membership, order_number=order_number)


@router.post(
    "/companies/{gaid}/eula/accept-all",
    response={200: EulaAcceptAllOut, **problems(401, 403, 404, 409)},
    auth=CompanyAuth(Permission.ACCEPT_EULA),
)
def accept_all_eulas(request, gaid: str):
    """Accept every EULA the company waits for (orders' and packs' third-party EULAs)."""
    return eulas_accept_all(actor=request.auth.actor, membership=request.auth.membership)


@router.post(
    "/companies/{gaid}/orders/{order_number}/eula",
    response={200: OrderEulaOut, **problems(401, 403, 404, 409, 422)},
    auth=CompanyAuth(Permission.ACCEPT_EULA),
)
def accept_order_eula(request, gaid: str, order_number: str, body: EulaAcceptIn | None = None):
    """Accept the order's EULA for the whole order; accepting again answers the same record."""
    order = selectors.order_get(membership=request.auth.membership, order_number=order_number)
    return order_eula_accept(
        actor=request.auth.actor, order=order, version=body.eula_version if body else None
    )
