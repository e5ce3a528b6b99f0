from django.contrib import admin

from .models import ExpiryReminder, OutboxMail


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


@admin.register(ExpiryReminder)
class ExpiryReminderAdmin(admin.ModelAdmin):
    list_display = ["created_at", "pack", "days_before", "expires_on", "recipients"]
    list_filter = ["days_before"]
    search_fields = ["pack__pack_id", "pack__company__gaid", "pack__company__name"]
    list_select_related = ["pack"]
    readonly_fields = [f.name for f in ExpiryReminder._meta.fields]

    def has_add_permission(self, request):
        return False
