from ilp.accounts.selectors import memberships_of
from ilp.core.authz import Permission

from .portal import nav_for, permissions_for


def portal(request):
    membership = getattr(request, "membership", None)
    ctx = {"membership": membership}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        ctx["my_memberships"] = list(memberships_of(user=user))
    if membership is not None:
        ctx["company"] = membership.company
        ctx["nav"] = nav_for(membership, request.path)
        granted = permissions_for(membership)
        ctx["can"] = {p.value: p in granted for p in Permission}
        ctx["staff_view"] = membership.is_staff_view
    return ctx
