"""The catalogue as the back office shows it."""

from ilp.licensing.models import Eula, Product
from ilp.licensing.selectors import eula_versions_in_force


def catalogue_products() -> list[Product]:
    return list(Product.objects.select_related("third_party_eula").order_by("sku"))


def product_find(*, sku: str) -> Product | None:
    return Product.objects.filter(sku=(sku or "").strip().upper()).first()


def catalogue_eulas() -> list[dict]:
    """Every EULA with its version in force and its versions, newest first; the products
    that carry a third-party one."""
    eulas = list(Eula.objects.prefetch_related("versions", "products").order_by("kind", "title"))
    in_force = eula_versions_in_force(eula_ids=[e.pk for e in eulas])
    return [
        {
            "eula": e,
            "in_force": in_force.get(e.pk),
            "versions": list(e.versions.all()),
            "products": [p.sku for p in e.products.all()],
        }
        for e in eulas
    ]
