"""Back office views of rollout data (support): read-only, changes go through the portal/API
so that every one is audited."""

from django.contrib import admin

from .models import DeviceLicense, PackAssignment, SigningKey, UmsInstance


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UmsInstance)
class UmsInstanceAdmin(ReadOnlyAdmin):
    list_display = ["ums_id", "name", "company", "auto_assign", "last_seen_at", "created_at"]
    search_fields = ["ums_id", "name", "company__gaid", "company__name"]
    list_select_related = ["company"]
    exclude = ["credential_hash"]


@admin.register(PackAssignment)
class PackAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["pack", "ums", "assigned_at"]
    search_fields = ["pack__pack_id", "ums__ums_id"]
    list_select_related = ["pack", "ums"]


@admin.register(DeviceLicense)
class DeviceLicenseAdmin(ReadOnlyAdmin):
    list_display = ["license_id", "unit_id", "product", "pack", "ums", "status", "issued_at"]
    list_filter = ["status", "product"]
    search_fields = ["license_id", "unit_id", "pack__pack_id", "company__gaid"]
    list_select_related = ["product", "pack", "ums"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ["kid", "created_at"]
