from django.tasks import task

from . import services


@task()
def deliver_mail(mail_id: int) -> bool:
    """Deliver one outbox mail. Mails are no longer queued as tasks (the worker's outbox loop
    delivers them); this stays for tasks queued before, under the name their rows carry."""
    return services.mail_deliver(mail_id=mail_id)
