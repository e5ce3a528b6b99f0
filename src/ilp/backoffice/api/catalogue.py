"""The catalogue: products and EULA versions (staff_admin)."""

from ninja import Router, Status

from ilp.core.auth import StaffAuth
from ilp.core.authz import StaffRole
from ilp.core.problems import problems
from ilp.licensing.services.catalogue import eula_publish, product_create, product_update

from ..schemas import StaffEulaIn, StaffEulaOut, StaffProductIn, StaffProductOut, StaffProductPatch

router = Router(tags=["back office"])
ADMIN = StaffAuth(StaffRole.STAFF_ADMIN)


@router.post(
    "/products", response={201: StaffProductOut, **problems(401, 403, 409, 422)}, auth=ADMIN
)
def create_product(request, body: StaffProductIn):
    """Add a product to the catalogue."""
    product = product_create(actor=request.auth.actor, **body.model_dump())
    return Status(201, product)


@router.patch(
    "/products/{sku}",
    response={200: StaffProductOut, **problems(401, 403, 404, 409, 422)},
    auth=ADMIN,
)
def change_product(request, sku: str, body: StaffProductPatch):
    """Change a product's name, pack prefix (new packs) or seat multiple; SKU and term stay."""
    return product_update(actor=request.auth.actor, sku=sku, **body.model_dump(exclude_unset=True))


@router.post("/eulas", response={201: StaffEulaOut, **problems(401, 403, 409, 422)}, auth=ADMIN)
def publish_eula(request, body: StaffEulaIn):
    """Publish a version of the vendor EULA, or of a product's third-party EULA: the version
    customers accept from now on, for new orders and packs and those still waiting."""
    version = eula_publish(actor=request.auth.actor, **body.model_dump())
    return Status(
        201,
        {
            "kind": version.eula.kind,
            "product": body.product.strip().upper() if body.kind == "third_party" else None,
            "title": version.eula.title,
            "version": version.version,
            "published_on": version.published_on,
        },
    )
