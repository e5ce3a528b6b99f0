from django.urls import path, re_path

from . import views
from .protocol import scim_endpoint

app_name = "scim"

_page = "companies/<str:gaid>/manage/scim/"

urlpatterns = [
    re_path(r"^scim/v2/(?P<gaid>[^/]+)/(?P<rest>.*)$", scim_endpoint, name="endpoint"),
    path(_page, views.scim_settings, name="settings"),
    path(f"{_page}token/", views.scim_token_create, name="token_create"),
    path(f"{_page}token/revoke/", views.scim_token_revoke, name="token_revoke"),
]
