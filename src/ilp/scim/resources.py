"""The SCIM resources ILP serves, as scim2-models classes: the published Schemas, the
ResourceTypes and the ServiceProviderConfig are made from them, and requests are read and
answers written through them (RFC 7643).

A User carries only what ILP keeps: `userName` (the e-mail address, immutable: it is the
person's account key), `name.givenName`/`familyName`, `active` (a membership of the company)
and the common `id`, `externalId` and `meta`. A Group is one of the three roles."""

from typing import Annotated, Any, ClassVar, Union

from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Filter,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Returned,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

MAX_RESULTS = 200  # a page of a list answers at most this many resources
DEFAULT_COUNT = 100


class UserName(ComplexAttribute):
    """The `name` of a User: the two parts ILP keeps."""

    family_name: str | None = None
    given_name: str | None = None


class User(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[
        str | None, Uniqueness.server, Required.true, Mutability.immutable, CaseExact.false
    ] = None
    """The person's e-mail address: the key of their ILP account, so it does not change."""

    name: UserName | None = None

    active: Annotated[bool | None, Required.true] = None
    """Whether the person is a member of the company. ILP always has an answer, so it is
    published as required (a request without it means `true`)."""

    Name: ClassVar[type[ComplexAttribute]] = UserName


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[
        Reference[Union["User"]] | None,  # type: ignore[type-arg]
        Mutability.immutable,
    ] = Field(None, serialization_alias="$ref", validation_alias="$ref")
    display: Annotated[str | None, Mutability.read_only] = None


class Group(Resource[Any]):
    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Required.true, Mutability.read_only] = None
    """The role's name: `administrator`, `service_provider` or `user`."""

    members: Annotated[list[GroupMember] | None, Returned.default] = None

    Members: ClassVar[type[ComplexAttribute]] = GroupMember


RESOURCES: tuple[type[Resource[Any]], ...] = (User, Group)


def resource_types() -> list[ResourceType]:
    return [ResourceType.from_resource(model) for model in RESOURCES]


def service_provider_config(documentation_uri: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=documentation_uri,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="OAuth Bearer Token",
                description="The company's SCIM token, made by an administrator in the "
                "company's settings.",
                primary=True,
            )
        ],
    )
