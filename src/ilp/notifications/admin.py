from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import OutboxMail
from .services import mail_carries_secret


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "template", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject"]
    # The body of a mail that still carries a link with a token (an invitation, a reset) is
    # not shown: whoever reads the back office must not be able to use someone's link.
    # Delivered mails keep their body with the link removed (notifications/services.py).
    readonly_fields = [
        "body" if f.name == "body_text" else f.name
        for f in OutboxMail._meta.fields
        if f.name != "body_html"
    ]
    exclude = ["body_text", "body_html"]
    actions = ["retry_now"]

    @admin.display(description=_("body"))
    def body(self, obj):
        if mail_carries_secret(obj.body_text) or mail_carries_secret(obj.body_html):
            return _("(hidden: this mail carries a personal link; it is removed once delivered)")
        return obj.body_text

    @admin.action(description="Retry delivery now")
    def retry_now(self, request, queryset):
        from django.utils import timezone

        queryset.exclude(status=OutboxMail.Status.SENT).update(
            status=OutboxMail.Status.PENDING, next_attempt_at=timezone.now()
        )
