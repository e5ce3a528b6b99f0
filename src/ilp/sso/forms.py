from django import forms
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import Role


class SsoForm(forms.Form):
    issuer = forms.URLField(label=_("Issuer URL"), max_length=500, assume_scheme="https")
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"), max_length=2000, required=False, widget=forms.PasswordInput
    )
    jit_role = forms.ChoiceField(
        label=_("New people at a verified domain"),
        required=False,
        choices=[
            ("", _("are refused until invited")),
            (Role.USER.value, _("become members with the role User")),
            (Role.SERVICE_PROVIDER.value, _("become members with the role Service provider")),
        ],
    )
    require_sso = forms.BooleanField(
        label=_("Members at a verified domain must sign in through single sign-on"),
        required=False,
    )

    def __init__(self, *args, configured: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.configured = configured
        if configured:
            self.fields["client_secret"].help_text = _("Leave empty to keep the stored secret.")

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret", "")
        if not secret and not self.configured:
            raise forms.ValidationError(_("Enter the client secret."))
        return secret


class DomainForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253)
