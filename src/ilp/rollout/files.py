"""The license file of an air-gapped UMS: every assigned pack and its active licenses,
signed as one JWS (typ `ilp-license-file+jwt`) that `ilp verify-license` checks offline.

Payload: {"iss", "iat", "gaid", "ums_id", "product_packs": [pack, …],
"licenses": [license, …]} where each license carries its own signed `token` too, so a UMS
can hand single licenses to devices.
"""

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from ilp.licensing.schemas import PackOut

from . import signing
from .schemas import LicenseOut
from .selectors import ums_license_list, ums_packs
from .services.common import license_sign


def license_file_build(*, ums) -> str:
    """The signed license file of one UMS (reads only; a constant number of queries)."""
    now = timezone.now()
    pair = signing.signing_key_current()
    packs = list(ums_packs(ums=ums))
    by_pk = {p.pk: p for p in packs}
    licenses = list(ums_license_list(ums=ums).filter(pack_id__in=list(by_pk)))
    items = []
    for lic in licenses:
        pack = by_pk[lic.pack_id]
        if lic.expires_on != pack.expires_on:
            # A renewal moved the expiry since the license was signed: sign it afresh for
            # the file (same license ID); the stored token is refreshed by the next issue.
            lic.pack = pack
            license_sign(lic, pack=pack, gaid=ums.company.gaid, pair=pair, now=now)
        items.append(LicenseOut.from_orm(lic).model_dump(mode="json"))
    claims = {
        "iss": settings.ILP_BASE_URL,
        "iat": int(now.timestamp()),
        "gaid": ums.company.gaid,
        "ums_id": ums.ums_id,
        "product_packs": [PackOut.from_orm(p).model_dump(mode="json") for p in packs],
        "licenses": items,
    }
    return signing.jws_sign(claims, pair=pair, typ=signing.LICENSE_FILE_TYP)


def license_file_name(*, ums) -> str:
    return f"ilp-licenses-{ums.ums_id}-{timezone.localdate():%Y%m%d}.jwt"


def license_file_response(*, ums) -> HttpResponse:
    """The license file as a download (the API's and the portal page's response alike)."""
    response = HttpResponse(license_file_build(ums=ums), content_type="application/jwt")
    response["Content-Disposition"] = f'attachment; filename="{license_file_name(ums=ums)}"'
    return response
