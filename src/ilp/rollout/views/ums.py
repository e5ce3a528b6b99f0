""" "UMS IDs": register, edit, rotate and delete UMS instances, assign and unassign packs,
the license file, and bulk upload for an air-gapped UMS."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from ilp.core.authz import Permission, membership_can
from ilp.core.errors import AppError
from ilp.core.portal import company_page, secret_once_put, secret_once_take
from ilp.licensing.selectors import pack_get

from .. import files, selectors, services, signing
from ..licensee import lease_days_of
from .common import _int


def _back(membership, anchor: str = ""):
    url = reverse("rollout:ums_list", kwargs={"gaid": membership.company.gaid})
    return redirect(f"{url}#{anchor}" if anchor else url)


def _back_to_packs(request, membership, ums):
    """After assigning or unassigning: back to the UMS's pack list if the form came from
    there (with its search), else to the UMS page."""
    if request.POST.get("back") != "packs":
        return _back(membership, ums.ums_id)
    url = reverse(
        "rollout:ums_packs", kwargs={"gaid": membership.company.gaid, "ums_id": ums.ums_id}
    )
    q = (request.POST.get("q") or "").strip()
    return redirect(f"{url}?{urlencode({'q': q})}" if q else url)


# The UMS page shows each UMS's packs summed per product and its first few packs; the rest
# are on the UMS's own paged pack list (issue 14: no page renders a form per pack).
PACKS_SHOWN = 10


ASSIGNABLE_SHOWN = 50


PACKS_PAGE = 50


def _ums_page(request, membership, *, credential=None, credential_ums=None, status=200):
    now = timezone.now()
    instances = list(selectors.ums_list(membership=membership))
    leases = selectors.ums_lease_figures(ums_list=instances, now=now)
    summary = selectors.ums_pack_summary(ums_list=instances)
    first = selectors.ums_first_packs(ums_list=instances, limit=PACKS_SHOWN)
    for ums in instances:
        ums.lease = lease_days_of(ums)
        ums.figures = leases.get(ums.pk, {})
        ums.pack_summary = summary.get(ums.pk, [])
        ums.pack_count = sum(row["packs"] for row in ums.pack_summary)
        ums.first_packs = first.get(ums.pk, [])
        # An air-gapped UMS fetches its next license file once half its lease is gone.
        last = ums.last_refresh_at
        ums.next_file_by = last + datetime.timedelta(days=ums.lease) / 2 if last else None
    assignable = list(selectors.packs_assignable(membership=membership)[: ASSIGNABLE_SHOWN + 1])
    revoked = list(selectors.licenses_listed(company_id=membership.company_id, now=now)[:51])
    context = {
        "instances": instances,
        "assignable": assignable[:ASSIGNABLE_SHOWN],
        # The same options in every UMS's "+" list: rendered once, not once per UMS.
        "assignable_options": render_to_string(
            "rollout/_assignable_options.html", {"assignable": assignable[:ASSIGNABLE_SHOWN]}
        )
        if membership_can(membership, Permission.MANAGE_ROLLOUT)
        else "",
        "assignable_more": len(assignable) > ASSIGNABLE_SHOWN,
        "credential": credential,
        "credential_ums": credential_ums,
        "lease_default": settings.ILP_LICENSE_LEASE_DAYS,
        "lease_max": settings.ILP_LICENSE_LEASE_MAX_DAYS,
        "grace_days": signing.GRACE_DAYS,
        "revoked": revoked[:50],
        "revoked_more": len(revoked) > 50,
        "now": now,
    }
    return render(request, "rollout/ums_list.html", context, status=status)


@company_page(Permission.VIEW)
@require_GET
def ums_packs(request, membership, ums_id: str):
    """The packs of one UMS, paged by key ("next page"), with a search, and the company's
    unassigned packs matching the search, to assign."""
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    q = (request.GET.get("q") or "").strip()[:40]
    after = _int(request.GET.get("after"))
    packs = selectors.ums_assigned_packs(ums=ums, q=q, after=after, limit=PACKS_PAGE)
    more = len(packs) > PACKS_PAGE
    packs = packs[:PACKS_PAGE]
    assignable = []
    if q and membership_can(membership, Permission.MANAGE_ROLLOUT):
        assignable = list(selectors.packs_assignable(membership=membership, q=q)[:PACKS_PAGE])
    context = {
        "ums": ums,
        "q": q,
        "packs": packs,
        "after": after,
        "next_after": packs[-1].pk if more else None,
        "assignable": assignable,
    }
    return render(request, "rollout/ums_packs.html", context)


@company_page(Permission.VIEW)
def ums_list(request, membership):
    if request.method == "POST":
        if not membership_can(membership, Permission.MANAGE_ROLLOUT):
            raise DjangoPermissionDenied
        return _ums_register(request, membership)
    kept = secret_once_take(request, kind="ums_credential")
    if kept and kept.get("gaid") == membership.company.gaid:
        # Shown on this one GET after the redirect; a reload shows the page without it.
        credential_ums = (
            selectors.ums_list(membership=membership).filter(ums_id=kept["ums_id"]).first()
        )
        if credential_ums is not None:
            return _ums_page(
                request, membership, credential=kept["value"], credential_ums=credential_ums
            )
    return _ums_page(request, membership)


def _show_credential_once(request, membership, ums, credential):
    """Post/redirect/get: keep the new credential for the next page, then redirect."""
    secret_once_put(
        request,
        kind="ums_credential",
        value=credential,
        gaid=membership.company.gaid,
        ums_id=ums.ums_id,
    )
    return redirect(reverse("rollout:ums_list", kwargs={"gaid": membership.company.gaid}))


def _ums_register(request, membership):
    try:
        ums, credential = services.ums_register(
            actor=request.actor,
            company=membership.company,
            name=request.POST.get("name", ""),
            auto_assign=request.POST.get("auto_assign") == "on",
        )
    except AppError as exc:
        messages.error(request, exc.message)
        return _ums_page(request, membership, status=422)
    messages.success(
        request, _("%(name)s registered as %(ums)s.") % {"name": ums.name, "ums": ums.ums_id}
    )
    # The credential is shown once, on the page after the redirect; it is stored hashed.
    return _show_credential_once(request, membership, ums, credential)


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def ums_edit(request, membership, ums_id: str):
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    name = request.POST.get("name")
    auto = request.POST.get("auto_assign")
    exchange = request.POST.get("auto_exchange")
    lease = request.POST.get("lease_days")
    try:
        services.ums_update(
            actor=request.actor,
            ums=ums,
            name=name if name is not None else None,
            auto_assign=None if auto is None else auto == "on",
            auto_exchange=None if exchange is None else exchange == "on",
            lease_days=_lease_value(lease),
        )
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("UMS %(ums)s saved.") % {"ums": ums.ums_id})
    return _back(membership, ums.ums_id)


def _lease_value(value) -> int | None:
    """A lease typed into the form: empty means unchanged; anything else goes to the
    service, which refuses what is not 1 to the maximum (422 with its message)."""
    if value is None or not str(value).strip():
        return None
    try:
        return int(value)
    except ValueError:
        return 0


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def ums_rotate(request, membership, ums_id: str):
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    credential = services.ums_credential_rotate(actor=request.actor, ums=ums)
    messages.success(
        request,
        _("New credential for %(ums)s. The old one no longer works.") % {"ums": ums.ums_id},
    )
    return _show_credential_once(request, membership, ums, credential)


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def ums_delete(request, membership, ums_id: str):
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    try:
        revoked = services.ums_delete(
            actor=request.actor, ums=ums, force=request.POST.get("force") == "1"
        )
    except AppError as exc:
        messages.error(request, exc.message)
        return _back(membership, ums.ums_id)
    messages.success(
        request,
        ngettext(
            "UMS %(ums)s deleted; %(count)d device license revoked.",
            "UMS %(ums)s deleted; %(count)d device licenses revoked.",
            revoked,
        )
        % {"ums": ums.ums_id, "count": revoked},
    )
    return _back(membership)


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def pack_assign(request, membership, ums_id: str):
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    try:
        pack = pack_get(membership=membership, pack_id=request.POST.get("pack_id", ""))
        services.pack_assign(actor=request.actor, ums=ums, pack=pack)
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Product pack %(pack)s assigned to %(ums)s.")
            % {"pack": pack.pack_id, "ums": ums.ums_id},
        )
    return _back_to_packs(request, membership, ums)


@company_page(Permission.MANAGE_ROLLOUT)
@require_POST
def pack_unassign(request, membership, ums_id: str, pack_id: str):
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    try:
        pack = pack_get(membership=membership, pack_id=pack_id)
        revoked = services.pack_unassign(
            actor=request.actor, ums=ums, pack=pack, force=request.POST.get("force") == "1"
        )
    except AppError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "Product pack %(pack)s unassigned; %(count)d device license revoked.",
                "Product pack %(pack)s unassigned; %(count)d device licenses revoked.",
                revoked,
            )
            % {"pack": pack.pack_id, "count": revoked},
        )
    return _back_to_packs(request, membership, ums)


@company_page(Permission.VIEW)
@require_GET
def license_file(request, membership, ums_id: str):
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    return files.license_file_response(ums=ums, actor=request.actor)


# An oversized file is refused from the declared length before the body is read. The CSRF
# middleware would parse the whole form first, so the view is exempt from it and checks the
# token itself (csrf_protect on the POST part) once the size is known to be fine.
@csrf_exempt
@company_page(Permission.MANAGE_ROLLOUT)
def upload(request, membership, ums_id: str):
    """Bulk issue for an air-gapped UMS: a file of unit IDs (one per line, or CSV)."""
    ums = selectors.ums_get(membership=membership, ums_id=ums_id)
    products = list(selectors.ums_products(ums=ums))
    context = {"ums": ums, "products": products, "results": None, "error": None}
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        try:
            services.upload_size_check(declared_bytes=declared)
        except AppError as exc:
            context["error"] = exc.message
            return render(request, "rollout/upload.html", context, status=422)
        return _upload_post(request, context=context)
    return render(request, "rollout/upload.html", context)


@csrf_protect
def _upload_post(request, *, context: dict):
    context["chosen"] = request.POST.get("product", "")
    context["text"] = request.POST.get("unit_ids", "")
    # Unit IDs that look wrong are held until the person confirms ("Issue anyway") or
    # leaves them out; a plain submit (a corrected list) is checked again.
    choice = request.POST.get("suspicious", "")
    if choice not in services.SUSPICIOUS_CHOICES:
        choice = services.SUSPICIOUS_HOLD
    try:
        uploaded = services.licenses_upload(
            actor=request.actor,
            ums=context["ums"],
            product=context["chosen"],
            text=context["text"],
            file=request.FILES.get("file"),
            suspicious=choice,
        )
    except AppError as exc:
        context["error"] = exc.message
    else:
        context["suspicious"] = uploaded.suspicious
        if uploaded.held:
            context["held"] = True
            context["text"] = uploaded.text
        else:
            context["results"] = uploaded.results
            context["counts"] = uploaded.counts
            context["error"] = uploaded.error
            context["skipped"] = choice == services.SUSPICIOUS_SKIP
    status = 422 if context["error"] else 200
    return render(request, "rollout/upload.html", context, status=status)


urlpatterns = [
    path("companies/<str:gaid>/ums/", ums_list, name="ums_list"),
    path("companies/<str:gaid>/ums/<str:ums_id>/packs/", ums_packs, name="ums_packs"),
    path("companies/<str:gaid>/ums/<str:ums_id>/edit/", ums_edit, name="ums_edit"),
    path("companies/<str:gaid>/ums/<str:ums_id>/rotate/", ums_rotate, name="ums_rotate"),
    path("companies/<str:gaid>/ums/<str:ums_id>/delete/", ums_delete, name="ums_delete"),
    path("companies/<str:gaid>/ums/<str:ums_id>/assign/", pack_assign, name="pack_assign"),
    path(
        "companies/<str:gaid>/ums/<str:ums_id>/packs/<str:pack_id>/unassign/",
        pack_unassign,
        name="pack_unassign",
    ),
    path("companies/<str:gaid>/ums/<str:ums_id>/license-file/", license_file, name="license_file"),
    path("companies/<str:gaid>/ums/<str:ums_id>/upload/", upload, name="upload"),
]
