"""Reads of people and access. Every company-scoped read starts from a membership."""

from ilp.core.errors import NotFound

from .models import Membership


def membership_get(*, user, gaid: str) -> Membership:
    """The user's membership in the company with this GAID; NotFound (404) if none."""
    membership = (
        Membership.objects.select_related("company", "user")
        .filter(user=user, company__gaid=gaid)
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership


def memberships_of(*, user):
    return (
        Membership.objects.select_related("company")
        .filter(user=user)
        .order_by("company__name", "company__gaid")
    )
