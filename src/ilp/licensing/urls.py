"""Portal pages of licensing. Each views module contributes its own `urlpatterns`."""

from .views import dashboard, eula, keys, orders, pack_ops, packs, renewals

app_name = "licensing"

urlpatterns = [
    *dashboard.urlpatterns,
    *eula.urlpatterns,
    *pack_ops.urlpatterns,
    *renewals.urlpatterns,
    *packs.urlpatterns,
    *keys.urlpatterns,
    *orders.urlpatterns,
]
