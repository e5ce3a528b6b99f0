from django.contrib import admin

from .models import OutboxMail


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "template", "status", "attempts", "sent_at"]
    list_filter = ["status", "template"]
    search_fields = ["to", "subject"]
    readonly_fields = [f.name for f in OutboxMail._meta.fields]
    actions = ["retry_now"]

    @admin.action(description="Retry delivery now")
    def retry_now(self, request, queryset):
        from django.utils import timezone

        queryset.exclude(status=OutboxMail.Status.SENT).update(
            status=OutboxMail.Status.PENDING, next_attempt_at=timezone.now()
        )
