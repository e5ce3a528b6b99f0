from django.urls import path

from .views import devices, hardware, jwks, keys, pack_licenses, packs, ums

app_name = "rollout"

urlpatterns = [
    path(".well-known/jwks.json", jwks.jwks, name="jwks"),
    *keys.urlpatterns,
    *pack_licenses.urlpatterns,
    *ums.urlpatterns,
    *hardware.urlpatterns,
    *packs.urlpatterns,
    *devices.urlpatterns,
]
