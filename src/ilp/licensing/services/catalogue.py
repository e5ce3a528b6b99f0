"""The catalogue staff maintain in the back office (rule 25): products and EULA versions.

A product's SKU never changes (orders name it); its name, pack prefix (new packs only) and
seat multiple may. A published EULA version is the one in force from that moment: the latest
version published on or before today wins (`Eula.version_current`), and a version, once
published, is never changed — a new text is a new version. New orders carry the vendor EULA,
new packs of a product its third-party EULA; each is accepted in the version in force when
the customer accepts (rule 20), so from now on that is the new one.
"""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ilp.audit.services import event_record
from ilp.core.actors import Actor
from ilp.core.errors import Conflict, Invalid, NotFound

from ..audit_actions import AuditAction
from ..catalogue import SAMPLE_EULA_SLUG, SAMPLE_EULA_TITLE
from ..errors import CatalogueError
from ..models import Eula, EulaVersion, Product

_SKU = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
_PREFIX = re.compile(r"[A-Z0-9]{1,8}")
MAX_SEAT_MULTIPLE = 10_000
EULA_TEXT_MAX = 200_000


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(
        message,
        code=CatalogueError.INVALID_CATALOGUE_VALUE,
        errors=[{"loc": ["body", field], "msg": message}],
    )


def _product_values(*, name=None, pack_prefix=None, seat_multiple=None, term=None) -> dict:
    values = {}
    if name is not None:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 200:
            raise _invalid("name", _("Give the product a name (at most 200 characters)."))
        values["name"] = name
    if pack_prefix is not None:
        pack_prefix = pack_prefix.strip().upper()
        if not _PREFIX.fullmatch(pack_prefix):
            raise _invalid(
                "pack_prefix", _("A pack prefix is 1 to 8 letters and digits, like WE or ICG.")
            )
        values["pack_prefix"] = pack_prefix
    if seat_multiple is not None:
        if not 1 <= seat_multiple <= MAX_SEAT_MULTIPLE:
            raise _invalid(
                "seat_multiple",
                _("The seat multiple is between 1 and %(max)s.") % {"max": MAX_SEAT_MULTIPLE},
            )
        values["seat_multiple"] = seat_multiple
    if term is not None:
        if term not in Product.Term.values:
            raise _invalid("term", _("The term is subscription or perpetual."))
        values["term"] = term
    return values


def _prefix_free(pack_prefix: str, *, other_than: Product | None = None) -> None:
    taken = Product.objects.filter(pack_prefix=pack_prefix)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise Conflict(
            _("Another product's packs start with %(prefix)s.") % {"prefix": pack_prefix},
            code=CatalogueError.PACK_PREFIX_TAKEN,
        )


def _product_data(product: Product) -> dict:
    return {
        "sku": product.sku,
        "name": product.name,
        "pack_prefix": product.pack_prefix,
        "seat_multiple": product.seat_multiple,
        "term": product.term,
    }


@transaction.atomic
def product_create(
    *, actor: Actor, sku: str, name: str, pack_prefix: str, seat_multiple: int = 1, term: str
) -> Product:
    """A new product in the catalogue (409 `product_exists` for a SKU in use)."""
    sku = (sku or "").strip().upper()
    if not _SKU.fullmatch(sku):
        raise _invalid("sku", _("A SKU is 1 to 32 letters, digits and dashes, like WE-P."))
    values = _product_values(
        name=name, pack_prefix=pack_prefix, seat_multiple=seat_multiple, term=term
    )
    if Product.objects.filter(sku=sku).exists():
        raise Conflict(
            _("The SKU %(sku)s is taken.") % {"sku": sku}, code=CatalogueError.PRODUCT_EXISTS
        )
    _prefix_free(values["pack_prefix"])
    try:
        with transaction.atomic():
            product = Product.objects.create(sku=sku, **values)
    except IntegrityError:  # a concurrent create of the same SKU
        raise Conflict(
            _("The SKU %(sku)s is taken.") % {"sku": sku}, code=CatalogueError.PRODUCT_EXISTS
        ) from None
    event_record(
        actor=actor,
        action=AuditAction.PRODUCT_CREATED,
        obj_type="product",
        obj_id=sku,
        after=_product_data(product),
    )
    return product


@transaction.atomic
def product_update(
    *,
    actor: Actor,
    sku: str,
    name: str | None = None,
    pack_prefix: str | None = None,
    seat_multiple: int | None = None,
) -> Product:
    """Change a product's name, pack prefix (its new packs) or seat multiple (its next splits);
    its SKU and term stay."""
    product = Product.objects.select_for_update().filter(sku=(sku or "").strip().upper()).first()
    if product is None:
        raise NotFound(_("No such product."), code=CatalogueError.PRODUCT_NOT_FOUND)
    values = _product_values(name=name, pack_prefix=pack_prefix, seat_multiple=seat_multiple)
    if "pack_prefix" in values:
        _prefix_free(values["pack_prefix"], other_than=product)
    before = _product_data(product)
    for field, value in values.items():
        setattr(product, field, value)
    changed = [f for f in values if before[f] != values[f]]
    if changed:
        product.save(update_fields=changed)
        event_record(
            actor=actor,
            action=AuditAction.PRODUCT_CHANGED,
            obj_type="product",
            obj_id=product.sku,
            before={f: before[f] for f in changed},
            after={f: values[f] for f in changed},
        )
    return product


def _third_party_eula_for(product: Product) -> Eula:
    if product.third_party_eula_id is not None:
        return product.third_party_eula
    eula = Eula.objects.create(
        slug=f"third-party-{product.sku.lower()}"[:64],
        title=_("Third-party license terms of %(product)s") % {"product": product.name},
        kind=Eula.Kind.THIRD_PARTY,
    )
    product.third_party_eula = eula
    product.save(update_fields=["third_party_eula"])
    return eula


@transaction.atomic
def eula_publish(
    *, actor: Actor, kind: str, version: str, text: str, product: str | None = None
) -> EulaVersion:
    """Publish a new version of the vendor EULA (`kind` vendor) or of a product's third-party
    EULA (`kind` third_party, `product` its SKU; the product gets one if it had none): in
    force from now on. 409 `eula_version_exists` for a version name the EULA has."""
    version = " ".join((version or "").split())
    if not 1 <= len(version) <= 32:
        raise _invalid("version", _("Name the version (at most 32 characters), like 2027-01."))
    text = (text or "").strip()
    if not text or len(text) > EULA_TEXT_MAX:
        raise _invalid("text", _("The EULA's text is missing or too long."))
    if kind == Eula.Kind.VENDOR:
        if product:
            raise _invalid("product", _("The vendor EULA covers every product: name none."))
        eula = Eula.objects.select_for_update().filter(kind=Eula.Kind.VENDOR).first()
        if eula is None:
            eula = Eula.objects.create(
                slug=SAMPLE_EULA_SLUG, title=SAMPLE_EULA_TITLE, kind=Eula.Kind.VENDOR
            )
        subject = None
    elif kind == Eula.Kind.THIRD_PARTY:
        found = (
            Product.objects.select_for_update(of=("self",))
            .select_related("third_party_eula")
            .filter(sku=(product or "").strip().upper())
            .first()
        )
        if found is None:
            raise _invalid("product", _("Name the product whose third-party EULA this is."))
        eula = _third_party_eula_for(found)
        subject = found.sku
    else:
        raise _invalid("kind", _("The kind is vendor or third_party."))
    if eula.versions.filter(version=version).exists():
        raise Conflict(
            _("Version %(version)s of this EULA exists; a new text needs a new version.")
            % {"version": version},
            code=CatalogueError.EULA_VERSION_EXISTS,
        )
    published = EulaVersion.objects.create(
        eula=eula, version=version, text=text, published_on=timezone.localdate()
    )
    published.eula = eula
    event_record(
        actor=actor,
        action=AuditAction.EULA_PUBLISHED,
        obj_type="eula",
        obj_id=f"{eula.slug}:{version}",
        after={"kind": kind, "product": subject, "version": version, "eula_title": eula.title},
    )
    return published
