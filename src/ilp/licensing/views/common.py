"""What the licensing pages share."""

from collections.abc import Callable

from django.http import Http404

from ilp.core.errors import NotFound


def or_404[T](read: Callable[..., T], /, **kwargs) -> T:
    """Call a selector for a page: the API's 404 (`NotFound`) becomes the 404 page."""
    try:
        return read(**kwargs)
    except NotFound:
        raise Http404 from None
