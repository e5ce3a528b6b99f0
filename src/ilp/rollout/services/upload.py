"""Bulk issue for an air-gapped UMS (portal "Upload unit IDs"): a file or pasted text."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files import File
from django.utils.translation import gettext as _

from ilp.core.actors import Actor
from ilp.core.errors import AppError, Invalid
from ilp.core.unit_ids import UNIT_ID_CONCERNS, unit_id_concern, unit_id_normalize

from ..errors import RolloutError
from ..models import UmsInstance
from .common import MAX_BATCH, unit_ids_parse
from .licenses import ISSUE_STATUSES, IssueResult, licenses_issue

MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_IDS = 10_000


# What to do with unit IDs that are valid but look like neither a MAC nor a unit ID.
SUSPICIOUS_HOLD = "hold"  # issue nothing, list them, ask (the page's first step)
SUSPICIOUS_ISSUE = "issue"  # the person confirmed: issue them with the rest
SUSPICIOUS_SKIP = "skip"  # issue the rest, leave them out
SUSPICIOUS_CHOICES = (SUSPICIOUS_HOLD, SUSPICIOUS_ISSUE, SUSPICIOUS_SKIP)


@dataclass
class SuspiciousUnitId:
    line: int  # its place among the unit IDs read (1-based)
    written: str  # as it was in the file
    unit_id: str  # its normal form
    concern: str  # code (core.unit_ids.UNIT_ID_CONCERNS)

    @property
    def reason(self) -> str:
        return str(UNIT_ID_CONCERNS[self.concern])


@dataclass
class UploadResult:
    results: list[IssueResult]
    # Why a batch was refused (e.g. an unknown product); the batches before it stand.
    error: str | None = None
    # Unit IDs that look wrong. With `held`, nothing was issued: the person confirms first.
    suspicious: list[SuspiciousUnitId] = field(default_factory=list)
    held: bool = False
    # The unit IDs read (one per line), so the page can offer them again after a warning.
    text: str = ""

    @property
    def counts(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.results) for status in ISSUE_STATUSES}


def licenses_upload(
    *,
    actor: Actor,
    ums: UmsInstance,
    product: str,
    text: str = "",
    file: File | None = None,
    suspicious: str = SUSPICIOUS_HOLD,
) -> UploadResult:
    """Issue licenses for the unit IDs of `file`, or of `text` when no file came (one per
    line, or CSV). At most 1 MB and 10 000 unit IDs: 422 before anything is issued.

    Unit IDs that are valid but look wrong (`core.unit_ids.unit_id_concern`: `ZZZZZZZZZZZZ`,
    `000000000000`, a MAC with 13 digits) are held by default: nothing is issued and the
    result lists them (`held`); the person then confirms (`suspicious="issue"`), leaves them
    out (`"skip"`) or corrects the list.

    Not one transaction: each 1000 devices (the API's batch size) are issued in their own, so
    a large file never holds the pack locks for long. When a batch is refused, the result
    holds the batches before it and the reason.
    """
    ids = unit_ids_parse(_upload_text(text=text, file=file))
    if not ids:
        raise Invalid(_("The file holds no unit IDs."), code=RolloutError.UPLOAD_EMPTY)
    if len(ids) > MAX_UPLOAD_IDS:
        raise Invalid(
            _("At most %(max)d unit IDs per upload.") % {"max": MAX_UPLOAD_IDS},
            code=RolloutError.UPLOAD_TOO_MANY_UNIT_IDS,
        )
    found = _suspicious(ids)
    if found and suspicious == SUSPICIOUS_HOLD:
        return UploadResult(results=[], suspicious=found, held=True, text="\n".join(ids))
    if found and suspicious == SUSPICIOUS_SKIP:
        skipped = {s.line for s in found}
        ids = [raw for line, raw in enumerate(ids, start=1) if line not in skipped]
        if not ids:
            return UploadResult(results=[], suspicious=found)
    results: list[IssueResult] = []
    try:
        for start in range(0, len(ids), MAX_BATCH):
            results += licenses_issue(
                actor=actor, ums=ums, product=product, unit_ids=ids[start : start + MAX_BATCH]
            )
    except AppError as exc:
        return UploadResult(results=results, error=exc.message, suspicious=found)
    return UploadResult(results=results, suspicious=found)


def _suspicious(ids: list[str]) -> list[SuspiciousUnitId]:
    found = []
    for line, raw in enumerate(ids, start=1):
        normal = unit_id_normalize(raw)
        concern = unit_id_concern(normal) if normal else None
        if concern:
            found.append(SuspiciousUnitId(line=line, written=raw, unit_id=normal, concern=concern))
    return found


# What a form with a file at the limit may carry besides it: the other fields and the
# multipart framing. A request declaring more is refused before its body is read.
UPLOAD_FORM_ALLOWANCE = 64 * 1024


def upload_size_check(*, declared_bytes: int) -> None:
    """Refuse an upload from its declared Content-Length, before the body is read (422)."""
    if declared_bytes > MAX_UPLOAD_BYTES + UPLOAD_FORM_ALLOWANCE:
        raise Invalid(_("The file is larger than 1 MB."), code=RolloutError.UPLOAD_TOO_LARGE)


def _upload_text(*, text: str, file: File | None) -> str:
    # The size is checked before the file is read: an oversized upload never lands in memory.
    if file is None:
        return text
    if file.size > MAX_UPLOAD_BYTES:
        raise Invalid(_("The file is larger than 1 MB."), code=RolloutError.UPLOAD_TOO_LARGE)
    return upload_decode(file.read())


def upload_decode(data: bytes) -> str:
    """The text of an uploaded unit-ID file: UTF-8 (with or without a byte order mark), else
    Windows-1252/Latin-1 as spreadsheets on Windows save CSV. A file with NUL bytes or other
    control characters is not text (an image, a spreadsheet's binary format): refused with
    422 instead of being read as rows of garbage."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    if "\x00" in text or controls > max(2, len(text) // 100) or "\ufffd" in text:
        raise Invalid(
            _("This file is not a text file. Upload a list of unit IDs (one per line) or a CSV."),
            code=RolloutError.UPLOAD_NOT_TEXT,
        )
    return text
