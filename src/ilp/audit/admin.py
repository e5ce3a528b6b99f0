from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "actor_kind"]
    search_fields = ["object_id", "actor_label", "company__gaid"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    list_select_related = ["company"]

    # The audit log is evidence: nobody adds, edits or deletes an event, not even staff.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
