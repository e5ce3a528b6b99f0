"""Back office for people and access. Every change goes through the services, so the admin
keeps the same rules (last administrator, audit events) as the portal and the API."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ilp.core.actors import Actor
from ilp.core.emails import email_problem
from ilp.core.errors import AppError
from ilp.core.throttle import retry_after_header

from . import selectors, services
from .forms import ThrottledLoginMixin
from .models import (
    AccessRequest,
    ApiToken,
    Company,
    Invitation,
    Membership,
    StaffToken,
    User,
    normalize_email,
)


def _actor(request) -> Actor:
    return Actor.for_user(request.user)


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The back office's own login asks for no second factor, so a person who has one logs
    in on the portal's login page (password, then code) and opens the back office from there;
    the session is the same (rule 17: no way around the second step)."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if selectors.two_factor_active(user=user):
            raise ValidationError(
                _(
                    "Your account signs in with two-factor: log in on the portal's login page "
                    "(/login/), then open the back office."
                ),
                code="two_factor",
            )


def _admin_login(request, extra_context=None):
    """The admin site's login, answering 429 with Retry-After when throttled."""
    response = _site_login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if getattr(form, "throttled", None) is not None:
        retry_after_header(response, form.throttled)
    return response


_site_login = admin.site.login
admin.site.login_form = AdminLoginForm
admin.site.login = _admin_login


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "company", "role", "notify", "notify_new_key", "created_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class UserAddForm(AdminUserCreationForm):
    """Staff add a person by e-mail, in the canonical form (rule 18), checked exactly."""

    class Meta:
        model = User
        fields = ["email"]

    def clean_email(self):
        email = normalize_email(self.cleaned_data.get("email"))
        if email_problem(email):
            raise ValidationError(_("Enter a valid e-mail address (without invisible characters)."))
        if User.objects.filter(email=email).exists():
            raise ValidationError(_("A person with this e-mail exists already."))
        return email


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [MembershipInline]
    actions = ["two_factor_reset"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["first_name", "last_name", "language", "default_company"]}),
        (
            _("Access"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]},
        )
    ]
    raw_id_fields = ["default_company"]

    def get_readonly_fields(self, request, obj=None):
        # The e-mail is the person's key: immutable once registered.
        return [*self.readonly_fields, "email"] if obj else self.readonly_fields

    @admin.action(description=_("Turn off two-factor sign-in (lost phone and recovery codes)"))
    def two_factor_reset(self, request, queryset):
        for user in queryset:
            services.two_factor_reset(actor=_actor(request), user=user)
            messages.success(
                request,
                _("Two-factor sign-in of %(email)s is off.") % {"email": user.email},
            )


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["gaid", "name", "customer_number", "city", "country", "created_at"]
    search_fields = ["gaid", "name", "customer_number"]
    list_filter = ["country"]
    readonly_fields = ["gaid", "created_at"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        fields = {f: form.cleaned_data.get(f, "") for f in services.COMPANY_EDITABLE}
        try:
            if not change:
                created = services.company_create(
                    actor=_actor(request),
                    customer_number=form.cleaned_data.get("customer_number"),
                    **fields,
                )
                obj.pk, obj.gaid, obj.created_at = created.pk, created.gaid, created.created_at
                return
            services.company_update(actor=_actor(request), company=obj, **fields)
            services.company_customer_number_set(
                actor=_actor(request),
                company=obj,
                customer_number=form.cleaned_data.get("customer_number"),
            )
            services.company_two_factor_require(
                actor=_actor(request),
                company=obj,
                required=bool(form.cleaned_data.get("require_2fa")),
            )
        except AppError as exc:
            messages.error(request, exc.message)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "company", "role", "notify", "notify_new_key"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and (
            data.get("user") != self.instance.user or data.get("company") != self.instance.company
        ):
            raise ValidationError(_("Person and company of a membership cannot change."))
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "company", "role", "notify", "notify_new_key", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "company__gaid", "company__name"]
    list_select_related = ["user", "company"]
    raw_id_fields = ["user", "company"]
    actions = ["send_registration_link"]

    @admin.action(description=_("Send a new registration link (members without a password)"))
    def send_registration_link(self, request, queryset):
        # For an order's contact whose 7-day finalise-registration link ran out.
        for membership in queryset.select_related("user", "company"):
            if membership.user.is_registered:
                messages.warning(
                    request,
                    _("%(email)s is registered already.") % {"email": membership.user.email},
                )
                continue
            services.invitation_create(
                actor=_actor(request),
                company=membership.company,
                email=membership.user.email,
                role=membership.role,
            )
            messages.success(
                request, _("A new link was sent to %(email)s.") % {"email": membership.user.email}
            )

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.member_role_change(
                    actor=_actor(request), company=obj.company, email=obj.user.email, role=obj.role
                )
                Membership.objects.filter(pk=obj.pk).update(
                    notify=obj.notify, notify_new_key=obj.notify_new_key
                )
            else:
                created = services.member_add(
                    actor=_actor(request), company=obj.company, user=obj.user, role=obj.role
                )
                obj.pk = created.pk
        except AppError as exc:
            messages.error(request, exc.message)

    def delete_model(self, request, obj):
        try:
            services.member_remove(actor=_actor(request), company=obj.company, email=obj.user.email)
        except AppError as exc:
            messages.error(request, exc.message)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user", "company"):
            self.delete_model(request, obj)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "company", "role", "created_at", "expires_at", "state"]
    list_filter = ["role"]
    search_fields = ["email", "company__gaid", "company__name"]
    list_select_related = ["company"]
    readonly_fields = [f.name for f in Invitation._meta.fields]
    actions = ["withdraw"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.accepted_at:
            return _("accepted")
        if obj.withdrawn_at:
            return _("withdrawn")
        return _("pending") if obj.is_pending else _("expired")

    @admin.action(description=_("Withdraw the selected invitations"))
    def withdraw(self, request, queryset):
        for inv in queryset.select_related("company"):
            try:
                services.invitation_withdraw(
                    actor=_actor(request), company=inv.company, invitation_id=inv.pk
                )
            except AppError as exc:
                messages.error(request, f"{inv.email}: {exc.message}")


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ["email", "company", "order_number", "created_at", "resolved_at"]
    search_fields = ["email", "company__gaid", "company__name", "order_number"]
    list_select_related = ["company"]
    readonly_fields = [f.name for f in AccessRequest._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "created_at", "last_used_at", "expires_at", "revoked_at"]
    search_fields = ["user__email", "name"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.select_related("user"):
            services.api_token_revoke(actor=_actor(request), user=token.user, token_id=token.pk)


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name"]
    fields = ["name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return ["name"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        staff, raw = services.staff_token_create(actor=_actor(request), name=obj.name)
        obj.pk, obj.token_hash, obj.created_at = staff.pk, staff.token_hash, staff.created_at
        messages.warning(
            request,
            _("Staff token '%(name)s' created. Copy it now, it is shown only once: %(token)s")
            % {"name": staff.name, "token": raw},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.staff_token_revoke(actor=_actor(request), staff_token_id=token.pk)
