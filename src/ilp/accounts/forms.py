"""Forms of the accounts pages. They check shape only; the services hold the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import Role
from ilp.core.countries import country_choices
from ilp.core.errors import Throttled
from ilp.core.throttle import login_limits, throttle_failures

from .models import normalize_email


class ThrottledLoginMixin:
    """For a login form (Django's AuthenticationForm or the admin's): the failed-login limits
    of the portal and the API, per client address and canonical e-mail. When they are hit the
    form is invalid with the limit's message and `throttled` holds it, for the view to answer
    429 with Retry-After."""

    throttled: Throttled | None = None

    def clean(self):
        email = normalize_email(self.data.get("username"))
        try:
            with throttle_failures(*login_limits(request=self.request, email=email)):
                return super().clean()
        except Throttled as exc:
            self.throttled = exc
            raise ValidationError(exc.message, code="throttled") from None


class _NewPasswordForm(forms.Form):
    """A new password typed twice; the service checks its strength."""

    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class RegistrationForm(_NewPasswordForm):
    """Finalising a registration: the person's name and their first password, typed twice."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    field_order = ["first_name", "last_name", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("Password")
        self.fields["password2"].label = _("Password again")


class CountryField(forms.ChoiceField):
    """An ISO 3166-1 country by name; the submitted code may be any case ("de")."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    street = forms.CharField(label=_("Street"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    # A select of ISO countries by name: a two-letter box saved "GE" (Georgia) for "Germany".
    country = CountryField(
        label=_("Country"), choices=lambda: [("", "—"), *country_choices()], required=False
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.USER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("As my browser")), ("en", _("English")), ("de", _("German"))],
        required=False,
    )
    default_company = forms.ChoiceField(label=_("Default company"), required=False)
    # Free text with a list of IANA names to pick from (a datalist: type "Berl" to find
    # Europe/Berlin); the service checks the name.
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        required=False,
        help_text=_("Times on every page are shown in this zone. Empty: UTC."),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_company"].choices = [("", _("(first in the list)"))] + [
            (m.company.gaid, f"{m.company.name} ({m.company.gaid})") for m in memberships
        ]


TOKEN_EXPIRY_CHOICES = [
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("1 year")),
    ("", _("Never")),
]


TOKEN_SCOPE_CHOICES = [
    ("read write", _("Read and write")),
    ("read", _("Read only")),
]


class TokenForm(forms.Form):
    """A new API token: its name, expiry, scopes and the companies it may act in (none
    ticked: every company of the person, now and later)."""

    name = forms.CharField(label=_("Token name"), max_length=100, required=False)
    expires_in_days = forms.ChoiceField(
        label=_("Expires after"), choices=TOKEN_EXPIRY_CHOICES, required=False, initial="90"
    )
    scopes = forms.ChoiceField(
        label=_("Access"), choices=TOKEN_SCOPE_CHOICES, required=False, initial="read write"
    )
    companies = forms.MultipleChoiceField(
        label=_("Companies"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every company of yours, also those you join later."),
    )

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companies"].choices = [
            (m.company.gaid, f"{m.company.name} ({m.company.gaid})") for m in memberships
        ]


class SetPasswordForm(_NewPasswordForm):
    pass


class PasswordChangeForm(_NewPasswordForm):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "password1", "password2"]


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ClaimForm(forms.Form):
    """Claim a company without administrator (FAQ Q5): who you are and the proof."""

    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    gaid = forms.CharField(
        label=_("Global Account ID (GAID)"),
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "GA…", "autocapitalize": "characters"}),
    )
    subscription_key = forms.CharField(
        label=_("One of the company's subscription keys"),
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "SK-…", "autocapitalize": "characters"}),
    )


class OtpForm(forms.Form):
    otp = forms.CharField(
        label=_("Code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )
