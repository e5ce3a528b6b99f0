from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "company", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action", "actor_kind"]
    search_fields = ["object_id", "actor_label", "company__gaid"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    list_select_related = ["company"]
