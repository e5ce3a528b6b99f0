"""Signed files: the license file of an air-gapped UMS and a company's revocation list.

License file (typ `ilp-license-file+jwt`), which `ilp verify-license` checks offline:
{"iss", "iat", "gaid", "ums_id", "product_packs": [pack, …], "licenses": [license, …],
"revocations": <revocation list JWS>, "lease_days", "refresh_by"} where each license carries
its own signed `token` too, so a UMS can hand single licenses to devices. The file is a lease
like its licenses: `refresh_by` (half the lease from now) is when to download the next one.

Revocation list (typ `ilp-revocations+jwt`, rule 21): {"iss", "iat", "gaid", "revoked":
[license id, …]}: every license of the company returned, removed or revoked one of whose
documents may still verify.
"""

import datetime

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from ilp.core.actors import Actor
from ilp.licensing.schemas import PackOut

from . import signing
from .licensee import Licensee
from .schemas import LicenseOut
from .selectors import revoked_license_ids, ums_license_list, ums_packs
from .services.licenses import leases_refresh


def revocation_list_sign(*, company, pair: signing.SigningKeyPair | None = None) -> str:
    """The company's signed revocation list as it stands now."""
    now = timezone.now()
    claims = {
        "iss": settings.ILP_BASE_URL,
        "iat": int(now.timestamp()),
        "gaid": company.gaid,
        "revoked": revoked_license_ids(company_id=company.pk, now=now),
    }
    return signing.jws_sign(
        claims, pair=pair or signing.signing_key_current(), typ=signing.REVOCATIONS_TYP
    )


def license_file_build(*, ums, actor: Actor) -> str:
    """The signed license file of one UMS (or ALD token). Due documents are refreshed and
    stored first (a document handed out must be one the revocation list knows about)."""
    licensee = Licensee.of(ums)
    leases_refresh(actor=actor, ums=licensee)
    now = timezone.now()
    pair = signing.signing_key_current()
    packs = list(ums_packs(ums=licensee))
    by_pk = {p.pk: p for p in packs}
    licenses = list(ums_license_list(ums=licensee).filter(pack_id__in=list(by_pk)))
    lease_days = licensee.lease_days
    claims = {
        "iss": settings.ILP_BASE_URL,
        "iat": int(now.timestamp()),
        "gaid": licensee.company.gaid,
        "ums_id": licensee.ums_id,
        "product_packs": [PackOut.from_orm(p).model_dump(mode="json") for p in packs],
        "licenses": [LicenseOut.from_orm(lic).model_dump(mode="json") for lic in licenses],
        "revocations": revocation_list_sign(company=licensee.company, pair=pair),
        "lease_days": lease_days,
        "refresh_by": int((now + datetime.timedelta(days=lease_days) / 2).timestamp()),
    }
    if licensee.ald is not None:
        claims["subscription_key"] = licensee.ald.subscription_key.key
    return signing.jws_sign(claims, pair=pair, typ=signing.LICENSE_FILE_TYP)


def license_file_name(*, ums) -> str:
    licensee = Licensee.of(ums)
    name = licensee.ums_id or f"ALD-{licensee.ald.subscription_key.key}"
    return f"ilp-licenses-{name}-{timezone.localdate():%Y%m%d}.jwt"


def license_file_response(*, ums, actor: Actor) -> HttpResponse:
    """The license file as a download (the API's and the portal page's response alike)."""
    response = HttpResponse(
        license_file_build(ums=ums, actor=actor), content_type="application/jwt"
    )
    response["Content-Disposition"] = f'attachment; filename="{license_file_name(ums=ums)}"'
    return response
