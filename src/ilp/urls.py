from django.contrib import admin
from django.urls import include, path

from ilp.api import api
from ilp.core import ops

admin.site.site_header = "ILP back office"
admin.site.site_title = "ILP back office"

urlpatterns = [
    path("healthz", ops.healthz, name="healthz"),
    path("metrics", ops.metrics, name="metrics"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("ilp.backoffice.urls")),
    path("", include("ilp.scim.urls")),
    path("", include("ilp.rollout.urls")),
    path("", include("ilp.accounts.urls")),
    path("", include("ilp.licensing.urls")),
    path("", include("ilp.webhooks.urls")),
    path("", include("ilp.sso.urls")),
    path("", include("ilp.web.urls")),
]

handler403 = "ilp.web.views.handler403"
handler404 = "ilp.web.views.handler404"
handler500 = "ilp.web.views.handler500"
