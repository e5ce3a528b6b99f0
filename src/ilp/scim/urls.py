from django.urls import re_path

from .protocol import scim_endpoint

app_name = "scim"

urlpatterns = [
    re_path(r"^scim/v2/(?P<gaid>[^/]+)/(?P<rest>.*)$", scim_endpoint, name="endpoint"),
]
