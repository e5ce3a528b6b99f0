"""Signed files: the license file of an air-gapped UMS and the revocation list of a UMS or an
ALD token.

License file (typ `ilp-license-file+jwt`), which `ilp verify-license` checks offline:
{"iss", "iat", "gaid", "ums_id", "product_packs": [pack, …], "licenses": [license, …],
"revocations": <revocation list JWS>, "lease_days", "refresh_by"} where each license carries
its own signed `token` too, so a UMS can hand single licenses to devices. The file is a lease
like its licenses: `refresh_by` (half the lease from now) is when to download the next one.

Revocation list (typ `ilp-revocations+jwt`, rule 21): {"iss", "iat", "exp", "gaid",
"revoked": [license id, …]}, good until `exp` (`iat` + ILP_REVOCATIONS_TTL_HOURS): every
license issued through the caller's packs (a UMS: the licenses it was issued; an ALD token:
those on its key's packs) returned, removed or revoked one of whose documents may still
verify.
"""

import datetime
import tempfile

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from pydantic import TypeAdapter

from ilp.core.actors import Actor
from ilp.licensing.schemas import PackOut

from . import signing
from .ed25519_stream import sign_chunks
from .licensee import Licensee
from .selectors import license_file_licenses, revoked_license_ids, ums_packs
from .services.licenses import leases_refresh


def revocation_list_sign(*, ums, pair: signing.SigningKeyPair | None = None) -> str:
    """The signed revocation list of a UMS or ALD token as it stands now: the licenses issued
    through its packs only (`Licensee.revocations_q`)."""
    licensee = Licensee.of(ums)
    now = timezone.now()
    iat = int(now.timestamp())
    claims = {
        "iss": settings.ILP_BASE_URL,
        "iat": iat,
        "exp": iat + settings.ILP_REVOCATIONS_TTL_HOURS * 3600,
        "gaid": licensee.company.gaid,
        "revoked": revoked_license_ids(ums=licensee, now=now),
    }
    return signing.jws_sign(
        claims, pair=pair or signing.signing_key_current(), typ=signing.REVOCATIONS_TYP
    )


# The file is written to a temporary file (base64url as it goes), signed by reading it back
# twice (`ed25519_stream`), then streamed out: memory stays flat whatever the fleet (issue 14).
_CHUNK_ROWS = 2000
_READ_BYTES = 1 << 20
STREAM_FROM = 1 << 20  # bytes; smaller files are answered whole


class _B64Writer:
    """Writes base64url (no padding) of the bytes given, to a binary file, incrementally."""

    def __init__(self, out):
        self.out = out
        self.pending = b""

    def write(self, data: bytes) -> None:
        data = self.pending + data
        cut = len(data) - len(data) % 3
        if cut:
            self.out.write(signing.b64u(data[:cut]).encode("ascii"))
        self.pending = data[cut:]

    def close(self) -> None:
        if self.pending:
            self.out.write(signing.b64u(self.pending).encode("ascii"))
            self.pending = b""


_DATETIME = TypeAdapter(datetime.datetime | None)
_DATE = TypeAdapter(datetime.date | None)


def _license_rows(licenses):
    """`LicenseOut(...).model_dump(mode="json")` of each license, from plain rows: no model
    objects, no schema validation per row (the bulk of a large file's time); dates and
    times go through pydantic's own serialiser, so the JSON is the same (a test compares)."""
    fields = (
        "license_id",
        "unit_id",
        "product__sku",
        "pack__pack_id",
        "expires_on",
        "token",
        "status",
        "ums__ums_id",
        "issued_at",
        "document_expires_at",
        "document_signed_at",
    )
    dt, day = _DATETIME.dump_python, _DATE.dump_python
    for (
        lid,
        unit,
        sku,
        pack,
        expires,
        token,
        status,
        ums,
        issued,
        lease,
        signed,
    ) in licenses.values_list(*fields).iterator(chunk_size=_CHUNK_ROWS):
        yield {
            "id": lid,
            "unit_id": unit,
            "product": sku,
            "pack_id": pack,
            "expires_on": day(expires, mode="json"),
            "token": token,
            "status": status,
            "ums_id": ums,
            "issued_at": dt(issued, mode="json"),
            "lease_expires_at": dt(lease, mode="json"),
            "signed_at": dt(signed, mode="json"),
            "demo": False,
        }


def _json(value) -> bytes:
    return signing.canonical_json(value)


def _license_file_write(*, ums, actor: Actor, out) -> None:
    """Write the signed license file of one UMS (or ALD token) to the binary file `out`
    (JWS compact, byte for byte what `signing.jws_sign` makes of the same claims). Due
    documents are refreshed and stored first (a document handed out must be one the
    revocation list knows about)."""
    licensee = Licensee.of(ums)
    leases_refresh(actor=actor, ums=licensee)
    now = timezone.now()
    pair = signing.signing_key_current()
    packs_qs = ums_packs(ums=licensee)
    licenses = license_file_licenses(ums=licensee)
    lease_days = licensee.lease_days
    header = {"alg": "EdDSA", "kid": pair.kid, "typ": signing.LICENSE_FILE_TYP}
    start = out.tell()
    out.write(signing.b64u(_json(header)).encode("ascii") + b".")
    body = _B64Writer(out)
    # The claims in their order, each member as json.dumps would write it.
    body.write(b'{"iss":' + _json(settings.ILP_BASE_URL))
    body.write(b',"iat":' + _json(int(now.timestamp())))
    body.write(b',"gaid":' + _json(licensee.company.gaid))
    body.write(b',"ums_id":' + _json(licensee.ums_id))
    body.write(b',"product_packs":[')
    for i, pack in enumerate(packs_qs.iterator(chunk_size=_CHUNK_ROWS)):
        body.write((b"," if i else b"") + _json(PackOut.from_orm(pack).model_dump(mode="json")))
    body.write(b'],"licenses":[')
    for i, row in enumerate(_license_rows(licenses)):
        body.write((b"," if i else b"") + _json(row))
    body.write(b'],"revocations":' + _json(revocation_list_sign(ums=licensee, pair=pair)))
    body.write(b',"lease_days":' + _json(lease_days))
    refresh_by = int((now + datetime.timedelta(days=lease_days) / 2).timestamp())
    body.write(b',"refresh_by":' + _json(refresh_by))
    if licensee.ald is not None:
        body.write(b',"subscription_key":' + _json(licensee.ald.subscription_key.key))
    body.write(b"}")
    body.close()
    end = out.tell()

    def signing_input():
        out.seek(start)
        left = end - start
        while left > 0:
            chunk = out.read(min(_READ_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk

    signature = sign_chunks(pair.private, signing_input)
    out.seek(end)
    out.write(b"." + signing.b64u(signature).encode("ascii"))


def license_file_build(*, ums, actor: Actor) -> str:
    """The signed license file of one UMS (or ALD token) as a string (tests, small files;
    downloads stream it with `license_file_response`)."""
    with tempfile.TemporaryFile() as out:
        _license_file_write(ums=ums, actor=actor, out=out)
        out.seek(0)
        return out.read().decode("ascii")


def license_file_name(*, ums) -> str:
    licensee = Licensee.of(ums)
    name = licensee.ums_id or f"ALD-{licensee.ald.subscription_key.key}"
    return f"ilp-licenses-{name}-{timezone.localdate():%Y%m%d}.jwt"


def license_file_response(*, ums, actor: Actor) -> HttpResponse | StreamingHttpResponse:
    """The license file as a download (the API's and the portal page's response alike):
    built into a temporary file, then streamed from it in 1 MiB chunks (a file up to
    `STREAM_FROM` bytes is answered whole)."""
    out = tempfile.TemporaryFile()
    try:
        _license_file_write(ums=ums, actor=actor, out=out)
    except BaseException:
        out.close()
        raise
    size = out.tell()
    out.seek(0)
    if size <= STREAM_FROM:
        with out:
            response = HttpResponse(out.read(), content_type="application/jwt")
    else:

        def chunks():
            with out:
                while chunk := out.read(_READ_BYTES):
                    yield chunk

        response = StreamingHttpResponse(chunks(), content_type="application/jwt")
        response["Content-Length"] = str(size)
    response["Content-Disposition"] = f'attachment; filename="{license_file_name(ums=ums)}"'
    return response
