"""Orders of every company for the order desk: the list with its filters, and one order with
what it made and the mails it caused."""

import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ilp.core.errors import NotFound
from ilp.core.text import search_text
from ilp.licensing.models import Order, OrderItem
from ilp.licensing.selectors import order_staff_view
from ilp.notifications.services import mails_about

from .search import prefix_q

# The order's contact and what became of it (rule 4), in words for the order page.
CONTACT_OUTCOMES = {
    None: _("The order named no contact person."),
    "administrator_created": _(
        "The contact had no account: they became the company's administrator and were mailed "
        "a link to finish registering."
    ),
    "administrator_assigned": _(
        "The contact had an account and became the company's administrator; they were told by mail."
    ),
    "administrators_notified": _(
        "The company has administrators: they were mailed to invite the contact, who waits "
        "as an access request."
    ),
    "already_member": _("The contact already is a member of the company: nothing changed."),
}

ORDER_STATUSES = {
    "fulfilled": _("Fulfilled"),
    "awaiting_redemption": _("Awaiting redemption"),
    "cancelled": _("Cancelled"),
    "partly_cancelled": _("Partly cancelled"),
}


def contact_outcome_text(outcome: str | None) -> str:
    return str(CONTACT_OUTCOMES.get(outcome, outcome or CONTACT_OUTCOMES[None]))


def order_list(
    *,
    status: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    q: str | None = None,
) -> QuerySet[Order]:
    """Orders of every company, newest invoice first; `since`/`until` are invoice days (both
    included); `q` an order number (its beginning), a GAID or a company name's beginning."""
    orders = Order.objects.select_related("company", "subscription_key").prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("pk"))
    )
    if status:
        orders = orders.filter(status=status)
    if since:
        orders = orders.filter(invoice_date__gte=since)
    if until:
        orders = orders.filter(invoice_date__lte=until)
    text = (q or "").strip()
    if text:
        match = Q(order_number__startswith=text) | Q(company__gaid=text.upper())
        name = search_text(text)
        if len(name) >= 2:
            match |= prefix_q("company__name_search", name)
        orders = orders.filter(match)
    return orders.order_by("-invoice_date", "-pk")


def order_get(*, order_number: str) -> Order:
    order = (
        Order.objects.select_related("company", "subscription_key", "eula_version")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("product").order_by("pk"))
        )
        .filter(order_number=(order_number or "").strip())
        .first()
    )
    if order is None:
        raise NotFound(_("No such order."))
    return order


def order_detail(*, order: Order) -> dict:
    """What the order page shows: the order object (its packs as they are now), the contact
    and its outcome in words, and the mails the order caused with their delivery state."""
    view = order_staff_view(order=order)
    return {
        "view": view,
        "packs": view["product_packs"],
        "contact": order.contact or None,
        "contact_outcome_text": contact_outcome_text(order.contact_outcome),
        "mails": list(mails_about(subject=f"order:{order.order_number}")),
    }
