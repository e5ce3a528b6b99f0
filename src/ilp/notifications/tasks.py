from django.tasks import task

from . import services


@task()
def deliver_mail(mail_id: int) -> bool:
    """Deliver one outbox mail (enqueued after the commit that wrote it)."""
    return services.mail_deliver(mail_id=mail_id)
