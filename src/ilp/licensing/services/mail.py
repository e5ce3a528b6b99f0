"""Mail to a company about its licenses (a new key, a renewal applied or awaiting redemption).

Who is told is accounts' rule (`mail_recipients`: administrators, always, and members who
opted in); this queues one mail per person in their language, through the outbox.
"""

from collections.abc import Sequence

from ilp.accounts.selectors import mail_recipients
from ilp.notifications.services import mail_enqueue

from ..models import ProductPack, SubscriptionKey


def company_mail(*, company, template: str, context: dict, recipients: Sequence | None = None):
    """Queue `template` to each recipient (default: the company's mail recipients now)."""
    for user in mail_recipients(company=company) if recipients is None else recipients:
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
) -> None:
    """Queue "a new subscription key is available" (see `company_mail` for who gets it)."""
    company_mail(
        company=company,
        template="new_subscription_key",
        recipients=recipients,
        context={
            "key": key,
            "packs": packs,
            "path": f"/companies/{company.gaid}/subscription-keys/{key.key}/",
        },
    )
