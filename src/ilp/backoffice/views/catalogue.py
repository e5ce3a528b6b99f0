"""The catalogue: products and EULA versions (everyone reads, staff administrators change)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _

from ilp.core.authz import StaffRole
from ilp.core.errors import AppError
from ilp.core.portal import staff_page
from ilp.licensing.services.catalogue import eula_publish, product_create, product_update

from ..forms import EulaForm, ProductChangeForm, ProductForm
from ..selectors.catalogue import catalogue_eulas, catalogue_products, product_find
from .common import form_errors_from, render


def _page(request, *, product_form=None, eula_form=None, status=200):
    return render(
        request,
        "backoffice/catalogue.html",
        {
            "products": catalogue_products(),
            "eulas": catalogue_eulas(),
            "product_form": product_form or ProductForm(),
            "eula_form": eula_form or EulaForm(),
        },
        status=status,
    )


@staff_page()
def catalogue(request):
    """Products and the EULA versions in force."""
    return _page(request)


@staff_page(StaffRole.STAFF_ADMIN)
def product_add(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(actor=request.actor, **form.cleaned_data)
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Product %(sku)s added.") % {"sku": product.sku})
            return redirect("backoffice:catalogue")
    return _page(request, product_form=form, status=422 if request.method == "POST" else 200)


@staff_page(StaffRole.STAFF_ADMIN)
def product_change(request, sku: str):
    product = product_find(sku=sku)
    if product is None:
        raise Http404
    initial = {f: getattr(product, f) for f in ("name", "pack_prefix", "seat_multiple")}
    form = ProductChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            product_update(actor=request.actor, sku=product.sku, **form.cleaned_data)
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Product %(sku)s changed.") % {"sku": product.sku})
            return redirect("backoffice:catalogue")
    return render(
        request,
        "backoffice/product.html",
        {"product": product, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@staff_page(StaffRole.STAFF_ADMIN)
def eula_add(request):
    form = EulaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = eula_publish(
                actor=request.actor,
                kind=data["kind"],
                product=data["product"] or None,
                version=data["version"],
                text=data["text"],
            )
        except AppError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(
                request,
                _("%(title)s version %(version)s is in force from now on.")
                % {"title": version.eula.title, "version": version.version},
            )
            return redirect("backoffice:catalogue")
    return _page(request, eula_form=form, status=422 if request.method == "POST" else 200)


urlpatterns = [
    path("catalogue/", catalogue, name="catalogue"),
    path("catalogue/products/", product_add, name="product_add"),
    path("catalogue/products/<str:sku>/", product_change, name="product_change"),
    path("catalogue/eulas/", eula_add, name="eula_add"),
]
