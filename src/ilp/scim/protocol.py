"""The SCIM 2.0 protocol under `<ILP_BASE_URL>/scim/v2/<gaid>/` (RFC 7644): one view that
authenticates the company's SCIM token, routes, and answers in `application/scim+json` with
RFC 7644's bodies (resources, ListResponse, Error with scimType), never problem+json.

Only the company's own SCIM token is accepted, and only under its own GAID: any other
credential, a token of another company, or none, is 401 here (and the SCIM token is 401
everywhere else: core authenticates no `ilpscim_` token)."""

import json
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidFilterException,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    NotFoundException,
    NotImplementedException,
    PatchOp,
    ResponseParameters,
    Schema,
    SCIMException,
    ScimFilter,
    ScimPolicy,
    UnauthorizedException,
    UniquenessException,
)
from scim2_models import Meta as ScimMeta

from ilp.accounts.models import normalize_email
from ilp.core.actors import Actor
from ilp.core.authz import Role
from ilp.core.errors import AppError

from . import selectors, services
from .resources import (
    DEFAULT_COUNT,
    MAX_RESULTS,
    Group,
    User,
    UserName,
    resource_types,
    service_provider_config,
)

CONTENT_TYPE = "application/scim+json"
USER_FIELDS = {"schemas", "id", "externalid", "meta", "username", "name", "active"}
NAME_FIELDS = {"givenname", "familyname"}
GROUP_FIELDS = {"schemas", "id", "externalid", "meta", "displayname", "members"}
ROLES = [Role.ADMINISTRATOR, Role.SERVICE_PROVIDER, Role.USER]
# What ILP tolerates of what identity providers send (scim2-models' policy): attributes it
# does not keep are dropped, and a PATCH `remove` may name its values in `value`, as
# Microsoft Entra ID removes group members.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
)


def _answer(status: int, body: Any = None, *, location: str | None = None) -> HttpResponse:
    response = HttpResponse(
        b"" if body is None else json.dumps(body), status=status, content_type=CONTENT_TYPE
    )
    if location:
        response["Location"] = location
    return response


def _error(exc: SCIMException) -> HttpResponse:
    error = exc.to_error()
    return _answer(exc.status, error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


def _app_error(exc: AppError) -> HttpResponse:
    error = Error(status=exc.status, detail=f"{exc.message} ({exc.code})")
    if exc.status == 409 and exc.code != "last_administrator":
        error.scim_type = "uniqueness"
    return _answer(exc.status, error.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


class _Request:
    """One SCIM request: the company, its token as actor, the base URL."""

    def __init__(self, request, token) -> None:
        self.request = request
        self.token = token
        self.company = token.company
        self.actor = Actor.for_scim(token)
        self.base = f"{settings.ILP_BASE_URL}/scim/v2/{self.company.gaid}"

    def body(self) -> dict:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise InvalidSyntaxException(detail="The body is not JSON.") from None
        if not isinstance(data, dict):
            raise InvalidSyntaxException(detail="The body must be a JSON object.")
        return data

    def parameters(self, data: dict | None = None) -> ResponseParameters:
        source = data if data is not None else self.request.GET
        raw = {
            k: source.get(k)
            for k in ("attributes", "excludedAttributes")
            if source.get(k) not in (None, "", [])
        }
        for k, v in raw.items():
            if isinstance(v, str):
                raw[k] = [a.strip() for a in v.split(",") if a.strip()]
        try:
            return ResponseParameters.model_validate(raw)
        except ValidationError as exc:
            raise InvalidValueException(detail=str(exc.errors()[0]["msg"])) from None

    def user_out(self, scim_user, role: str | None) -> User:
        name = None
        if scim_user.given_name is not None or scim_user.family_name is not None:
            name = UserName(given_name=scim_user.given_name, family_name=scim_user.family_name)
        return User(
            id=scim_user.scim_id,
            external_id=scim_user.external_id,
            user_name=scim_user.user.email,
            name=name,
            active=role is not None,
            meta=ScimMeta(
                resource_type="User",
                created=scim_user.created_at,
                last_modified=scim_user.updated_at,
                location=f"{self.base}/Users/{scim_user.scim_id}",
            ),
        )

    def group_out(self, role: str) -> Group:
        members = selectors.group_members(company=self.company, role=role)
        return Group(
            id=str(role),
            display_name=str(role),
            members=[
                Group.Members(
                    value=s.scim_id, ref=f"{self.base}/Users/{s.scim_id}", display=s.user.email
                )
                for s in members
            ],
            meta=ScimMeta(
                resource_type="Group",
                created=self.company.created_at,
                last_modified=self.company.created_at,
                location=f"{self.base}/Groups/{role}",
            ),
        )


def _dump(obj, params: ResponseParameters | None = None, ctx=Context.RESOURCE_QUERY_RESPONSE):
    return obj.model_dump(scim_ctx=ctx, response_parameters=params)


def _only(data: dict, fields: set[str]) -> dict:
    """The attributes ILP keeps, of a payload that may carry many more (Entra ID and Okta
    send e-mails, display names, …): the others are ignored, as RFC 7644 allows."""
    return {k: v for k, v in data.items() if k.lower() in fields}


def _user_in(data: dict, ctx: Context) -> User:
    data = _only(data, USER_FIELDS)
    if not any(k.lower() == "active" for k in data):
        data["active"] = True  # published as required; a request without it means true
    for key in [k for k in data if k.lower() == "name"]:
        if isinstance(data[key], dict):
            data[key] = _only(data[key], NAME_FIELDS)
    try:
        return User.model_validate(data, scim_ctx=ctx)
    except ValidationError as exc:
        raise InvalidValueException(detail=str(exc.errors()[0]["msg"])) from None


def _page(scim: _Request, source) -> tuple[int, int]:
    try:
        start = int(source.get("startIndex") or 1)
        count = int(source.get("count") if source.get("count") not in (None, "") else DEFAULT_COUNT)
    except (TypeError, ValueError):
        raise InvalidValueException(detail="startIndex and count are integers.") from None
    return max(start, 1), min(max(count, 0), MAX_RESULTS)


def _user_filter(text: str | None) -> dict:
    """`userName eq "…"`, `externalId eq "…"` or `id eq "…"` (RFC 7644 §3.4.2.2); others 400
    `invalidFilter`."""
    if not text:
        return {}
    try:
        node = ScimFilter(text).ast
    except Exception:
        raise InvalidFilterException(detail="The filter cannot be read.") from None
    attr = str(getattr(node, "attr_path", "")).lower()
    if str(getattr(node, "op", "")).lower() != "eq" or attr not in (
        "username",
        "externalid",
        "id",
        "urn:ietf:params:scim:schemas:core:2.0:user:username",
    ):
        raise InvalidFilterException(
            detail='Filters supported: userName eq "…", externalId eq "…", id eq "…".'
        )
    return {attr.rsplit(":", 1)[-1]: str(node.value)}


def _users_list(scim: _Request, source, params: ResponseParameters) -> HttpResponse:
    services.scim_users_ensure(company=scim.company)
    wanted = _user_filter(source.get("filter"))
    users = selectors.scim_users(
        company=scim.company,
        user_name=wanted.get("username"),
        external_id=wanted.get("externalid"),
    )
    if "id" in wanted:
        users = users.filter(scim_id=wanted["id"])
    start, count = _page(scim, source)
    total = users.count()
    page = list(users[start - 1 : start - 1 + count]) if count else []
    roles = selectors.roles_of(company=scim.company, user_ids=[s.user_id for s in page])
    listed = ListResponse[User](
        total_results=total,
        start_index=start,
        items_per_page=len(page),
        resources=[scim.user_out(s, roles.get(s.user_id)) for s in page],
    )
    return _answer(200, _dump(listed, params, Context.SEARCH_RESPONSE))


def _user_get(scim: _Request, scim_id: str):
    scim_user = selectors.scim_user_find(company=scim.company, scim_id=scim_id)
    if scim_user is None:
        raise NotFoundException(detail=f"No User {scim_id}.")
    return scim_user


def _user_answer(scim: _Request, scim_user, status=200, params=None) -> HttpResponse:
    role = selectors.roles_of(company=scim.company, user_ids=[scim_user.user_id]).get(
        scim_user.user_id
    )
    out = scim.user_out(scim_user, role)
    location = out.meta.location if status == 201 else None
    return _answer(status, _dump(out, params), location=location)


def _users(scim: _Request, method: str, scim_id: str | None) -> HttpResponse:
    request = scim.request
    if scim_id is None:
        if method == "GET":
            return _users_list(scim, request.GET, scim.parameters())
        if method == "POST":
            user = _user_in(scim.body(), Context.RESOURCE_CREATION_REQUEST)
            scim_user = services.scim_user_create(
                actor=scim.actor,
                company=scim.company,
                user_name=user.user_name,
                given_name=user.name.given_name if user.name else None,
                family_name=user.name.family_name if user.name else None,
                active=user.active,
                external_id=user.external_id,
            )
            return _user_answer(scim, scim_user, 201, scim.parameters())
        raise _method_not_allowed()
    if scim_id == ".search" and method == "POST":
        data = scim.body()
        return _users_list(scim, data, scim.parameters(data))
    scim_user = _user_get(scim, scim_id)
    if method == "GET":
        return _user_answer(scim, scim_user, params=scim.parameters())
    if method == "DELETE":
        services.scim_user_delete(actor=scim.actor, company=scim.company, scim_user=scim_user)
        return _answer(204)
    if method == "PUT":
        user = _user_in(scim.body(), Context.RESOURCE_REPLACEMENT_REQUEST)
        if user.user_name and normalize_email(user.user_name) != scim_user.user.email:
            raise _immutable("userName")
        return _user_apply(scim, scim_user, user)
    if method == "PATCH":
        role = selectors.roles_of(company=scim.company, user_ids=[scim_user.user_id]).get(
            scim_user.user_id
        )
        current = scim.user_out(scim_user, role)
        patch = _patch_in(scim.body(), User, USER_FIELDS)
        if patch is None:
            return _user_answer(scim, scim_user, params=scim.parameters())
        patch.patch(current)
        if normalize_email(current.user_name) != scim_user.user.email:
            raise _immutable("userName")
        return _user_apply(scim, scim_user, current)
    raise _method_not_allowed()


def _user_apply(scim: _Request, scim_user, user: User) -> HttpResponse:
    scim_user = services.scim_user_update(
        actor=scim.actor,
        company=scim.company,
        scim_user=scim_user,
        given_name=user.name.given_name if user.name else None,
        family_name=user.name.family_name if user.name else None,
        active=user.active,
        external_id=user.external_id,
    )
    return _user_answer(scim, scim_user, params=scim.parameters())


def _patch_in(data: dict, model, fields: set[str]) -> PatchOp | None:
    """The PatchOp request, without the operations on attributes ILP does not keep; None
    when nothing is left (Entra ID patches e-mails and departments ILP ignores)."""
    operations = data.get("Operations") or data.get("operations")
    if not isinstance(operations, list):
        raise InvalidSyntaxException(detail="A PatchOp needs Operations.")
    kept = []
    for op in operations:
        if not isinstance(op, dict):
            raise InvalidSyntaxException(detail="An operation is a JSON object.")
        path = op.get("path")
        if path:
            head = str(path).split("[", 1)[0].split(".", 1)[0]
            head = head.rsplit(":", 1)[-1] if head.startswith("urn:") else head
            if head.lower() not in fields:
                continue
        elif isinstance(op.get("value"), dict):
            op = {**op, "value": _only(op["value"], fields)}
        if isinstance(op.get("op"), str):
            op = {**op, "op": op["op"].lower()}
        kept.append(op)
    if operations and not kept:
        return None
    try:
        return PatchOp[model].model_validate(
            {"schemas": [PatchOp.__schema__], "Operations": kept},
            scim_ctx=Context.RESOURCE_PATCH_REQUEST,
        )
    except ValidationError as exc:
        raise InvalidValueException(detail=str(exc.errors()[0]["msg"])) from None


def _immutable(attribute: str) -> SCIMException:
    from_scim = InvalidValueException(detail=f"{attribute} cannot change.")
    from_scim.scim_type = "mutability"
    return from_scim


class MethodNotAllowed(SCIMException):
    """405: the discovery endpoints are read-only (RFC 7644 §4)."""

    status = 405


def _method_not_allowed() -> SCIMException:
    return MethodNotAllowed(detail="This method is not allowed here.")


def _groups(scim: _Request, method: str, group_id: str | None) -> HttpResponse:
    params = scim.parameters()
    services.scim_users_ensure(company=scim.company)
    if group_id is None:
        if method == "GET":
            text = scim.request.GET.get("filter")
            roles = ROLES
            if text:
                try:
                    node = ScimFilter(text).ast
                except Exception:
                    raise InvalidFilterException(detail="The filter cannot be read.") from None
                if str(getattr(node, "attr_path", "")).lower() not in ("displayname", "id") or (
                    str(getattr(node, "op", "")).lower() != "eq"
                ):
                    raise InvalidFilterException(
                        detail='Filters supported: displayName eq "…", id eq "…".'
                    )
                roles = [r for r in ROLES if r == str(node.value)]
            start, count = _page(scim, scim.request.GET)
            page = roles[start - 1 : start - 1 + count]
            listed = ListResponse[Group](
                total_results=len(roles),
                start_index=start,
                items_per_page=len(page),
                resources=[scim.group_out(r) for r in page],
            )
            return _answer(200, _dump(listed, params, Context.SEARCH_RESPONSE))
        raise NotImplementedException(
            detail="The groups are the three roles: they cannot be made or deleted."
        )
    if group_id not in ROLES:
        raise NotFoundException(detail=f"No Group {group_id}.")
    if method == "GET":
        return _answer(200, _dump(scim.group_out(group_id), params))
    if method in ("PATCH", "PUT"):
        current = scim.group_out(group_id)
        before = {m.value for m in current.members or []}
        if method == "PATCH":
            patch = _patch_in(scim.body(), Group, GROUP_FIELDS)
            if patch is not None:
                patch.patch(current)
        else:
            data = _only(scim.body(), GROUP_FIELDS)
            data = {k: v for k, v in data.items() if k.lower() != "displayname"}
            data["displayName"] = group_id  # a role's name does not change
            try:
                replaced = Group.model_validate(data, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
            except ValidationError as exc:
                raise InvalidValueException(detail=str(exc.errors()[0]["msg"])) from None
            current.members = replaced.members
        after = {m.value for m in current.members or []}
        users = {
            s.scim_id: s
            for s in selectors.scim_users(company=scim.company).filter(
                scim_id__in=sorted(before | after)
            )
        }
        unknown = sorted(after - set(users))
        if unknown:
            raise InvalidValueException(detail=f"No User {unknown[0]}.")
        with transaction.atomic():
            services.group_members_change(
                actor=scim.actor,
                company=scim.company,
                role=group_id,
                add=[users[i] for i in sorted(after - before)],
                remove=[users[i] for i in sorted(before - after) if i in users],
            )
        return _answer(200, _dump(scim.group_out(group_id), params))
    raise NotImplementedException(
        detail="The groups are the three roles: they cannot be made or deleted."
    )


def _discovery(scim: _Request, kind: str, item: str | None) -> HttpResponse:
    if scim.request.method != "GET":
        raise _method_not_allowed()
    ctx = Context.RESOURCE_QUERY_RESPONSE
    if kind == "ServiceProviderConfig":
        if item:
            raise NotFoundException(detail="No such resource.")
        # The company's provisioning page says what ILP does with what the provider sends.
        config = service_provider_config(
            f"{settings.ILP_BASE_URL}/companies/{scim.company.gaid}/manage/scim/"
        )
        return _answer(200, _dump(config, ctx=ctx))
    if kind == "ResourceTypes":
        objects = resource_types()
        for rt in objects:
            rt.meta = ScimMeta(
                resource_type="ResourceType", location=f"{scim.base}/ResourceTypes/{rt.id}"
            )
    else:
        objects = [model.to_schema() for model in (User, Group)]
        for schema in objects:
            schema.meta = ScimMeta(
                resource_type="Schema", location=f"{scim.base}/Schemas/{schema.id}"
            )
    if item:
        for obj in objects:
            if obj.id == item:
                return _answer(200, _dump(obj, ctx=ctx))
        raise NotFoundException(detail=f"No {kind[:-1]} {item}.")
    model = Schema if kind == "Schemas" else type(objects[0])
    listed = ListResponse[model](
        total_results=len(objects),
        start_index=1,
        items_per_page=len(objects),
        resources=objects,
    )
    return _answer(200, _dump(listed, ctx=Context.SEARCH_RESPONSE))


@csrf_exempt
def scim_endpoint(request, gaid: str, rest: str = "") -> HttpResponse:
    """Every request under `/scim/v2/<gaid>/`."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sp, raw = header.partition(" ")
    token = (
        selectors.scim_token_find(gaid=gaid, token=raw.strip())
        if scheme.lower() == "bearer" and raw.strip()
        else None
    )
    if token is None:
        response = _error(
            UnauthorizedException(detail="A valid SCIM token of this company is required.")
        )
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
        return response
    with POLICY:
        return _route(_Request(request, token), rest)


def _route(scim: _Request, rest: str) -> HttpResponse:
    parts = [p for p in rest.split("/") if p]
    method = scim.request.method
    try:
        if not parts:
            raise NotFoundException(detail="No such resource.")
        kind, item = parts[0], (parts[1] if len(parts) > 1 else None)
        if len(parts) > 2:
            raise NotFoundException(detail="No such resource.")
        if kind in ("ServiceProviderConfig", "ResourceTypes", "Schemas"):
            return _discovery(scim, kind, item)
        if kind == "Users":
            return _users(scim, method, item)
        if kind == "Groups":
            return _groups(scim, method, item)
        if kind == ".search" and item is None:
            raise NotImplementedException(
                detail="Search one resource type at a time: POST Users/.search."
            )
        raise NotFoundException(detail="No such resource.")
    except SCIMException as exc:
        return _error(exc)
    except AppError as exc:
        return _app_error(exc)
    except IntegrityError:
        # Two requests made the same person at once: the unique constraints decided.
        return _error(UniquenessException(detail="A user with this userName exists."))
