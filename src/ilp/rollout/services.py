"""Rollout services. (Interfaces used by licensing are listed first.)"""


def packs_auto_assign(*, actor, packs) -> None:
    """Assign newly created packs to the company's auto-assign UMS, if it has one.

    Called by licensing whenever it creates packs (orders, renewals, delivery tokens) in the
    same transaction. To be implemented by the rollout work.
    """
    return None
