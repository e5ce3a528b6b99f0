"""Forms of the back-office pages; the services check the values (the forms only shape them)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ilp.core.authz import StaffRole


class _Form(forms.Form):
    """Labels without a colon, as on the portal's pages."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


TERMS = [("subscription", _("Subscription")), ("perpetual", _("Perpetual"))]


class ProductForm(_Form):
    sku = forms.CharField(label=_("SKU"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=200)
    pack_prefix = forms.CharField(label=_("Pack ID prefix"), max_length=8)
    seat_multiple = forms.IntegerField(
        label=_("Seat multiple"), min_value=1, max_value=10_000, initial=1
    )
    term = forms.ChoiceField(label=_("Term"), choices=TERMS)


class ProductChangeForm(_Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    pack_prefix = forms.CharField(label=_("Pack ID prefix"), max_length=8)
    seat_multiple = forms.IntegerField(label=_("Seat multiple"), min_value=1, max_value=10_000)


class EulaForm(_Form):
    kind = forms.ChoiceField(
        label=_("Which EULA"),
        choices=[
            ("vendor", _("The vendor EULA (every order)")),
            ("third_party", _("A product's third-party EULA")),
        ],
    )
    product = forms.CharField(
        label=_("Product (SKU, third-party EULA only)"), max_length=32, required=False
    )
    version = forms.CharField(label=_("Version"), max_length=32)
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}), max_length=200_000
    )


class StaffUserForm(_Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    role = forms.ChoiceField(label=_("Staff role"), choices=StaffRole.choices)


class StaffRoleForm(_Form):
    role = forms.ChoiceField(label=_("Staff role"), choices=StaffRole.choices)


class StaffTokenForm(_Form):
    name = forms.CharField(label=_("What it is for"), max_length=100)
    role = forms.ChoiceField(
        label=_("Staff role"), choices=StaffRole.choices, initial=StaffRole.OPERATOR
    )
