"""The public JWKS: the keys that verify license documents."""

from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from .. import signing


@require_GET
@cache_control(public=True, max_age=300)
def jwks(request):
    """The public keys that verify license documents (old keys stay after rotation)."""
    return JsonResponse(signing.jwks())
