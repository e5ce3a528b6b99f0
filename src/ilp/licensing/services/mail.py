"""Mail to a company about its licenses (a new key, a renewal applied or awaiting redemption).

Who is told is accounts' rule (`mail_recipients`: administrators, always, and members who
opted in); this queues one mail per person in their language, through the outbox.
"""

from collections.abc import Sequence

from ilp.accounts.selectors import MailTopic, mail_recipients
from ilp.notifications.services import mail_enqueue

from ..models import ProductPack, SubscriptionKey


def company_mail(
    *,
    company,
    template: str,
    context: dict,
    topic: MailTopic = MailTopic.EXPIRY,
    recipients: Sequence | None = None,
):
    """Queue `template` to each recipient (default: the company's mail recipients for
    `topic` now: administrators and the members who opted in to it)."""
    if recipients is None:
        recipients = mail_recipients(company=company, topic=topic)
    for user in recipients:
        mail_enqueue(
            to=user.email,
            template=template,
            language=user.language or "en",
            context={**context, "company": company, "user": user},
        )


def new_key_mail(
    *,
    company,
    key: SubscriptionKey,
    packs: Sequence[ProductPack],
    recipients: Sequence | None = None,
    order=None,
) -> None:
    """Queue "a new subscription key is available" (see `company_mail` for who gets it); it
    says when the order's EULA (or a pack's third-party EULA) waits for acceptance."""
    company_mail(
        company=company,
        template="new_subscription_key",
        topic=MailTopic.NEW_KEY,
        recipients=recipients,
        context={
            "key": key,
            "packs": packs,
            "path": f"/companies/{company.gaid}/subscription-keys/{key.key}/",
            **_eula_context(company=company, packs=packs, order=order),
        },
    )


def packs_added_mail(
    *,
    company,
    key: SubscriptionKey,
    packs: Sequence[ProductPack],
    order,
    recipients: Sequence | None = None,
) -> None:
    """Queue "new packs were added to your subscription key" (an add-on order, rule 19)."""
    company_mail(
        company=company,
        template="packs_added",
        topic=MailTopic.NEW_KEY,
        recipients=recipients,
        context={
            "key": key,
            "packs": packs,
            "order": order,
            "path": f"/companies/{company.gaid}/subscription-keys/{key.key}/",
            **_eula_context(company=company, packs=packs, order=order),
        },
    )


def _eula_context(*, company, packs: Sequence[ProductPack], order) -> dict:
    """Whether the mail must say that an EULA waits, and where to accept it."""
    order_pending = order is not None and order.eula_pending
    third_party = [p for p in packs if p.third_party_eula_pending]
    if order is not None:
        eula_path = f"/companies/{company.gaid}/orders/{order.order_number}/"
    elif third_party:
        eula_path = f"/companies/{company.gaid}/packs/{third_party[0].pack_id}/"
    else:
        eula_path = ""
    return {
        "eula_waits": order_pending or bool(third_party),
        "eula_path": eula_path,
    }
