"""The back office's pages under /staff/ (`ilp/urls.py` includes them there). Each views
module contributes its own `urlpatterns`; a new area: a new module, one line here."""

from .views import catalogue, companies, corrections, home, orders, reports, staff

app_name = "backoffice"

urlpatterns = [
    *home.urlpatterns,
    *companies.urlpatterns,
    *orders.urlpatterns,
    *catalogue.urlpatterns,
    *reports.urlpatterns,
    *staff.urlpatterns,
    *corrections.urlpatterns,
]
