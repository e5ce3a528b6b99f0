from django.urls import path

from . import views, views_devices, views_packs

app_name = "rollout"

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    *views.page_urlpatterns,
    *views_packs.urlpatterns,
    *views_devices.urlpatterns,
]
