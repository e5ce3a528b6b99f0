from django.urls import path

from . import views

app_name = "webhooks"

_base = "companies/<str:gaid>/manage/webhooks/"
_one = _base + "<str:endpoint_id>/"

urlpatterns = [
    path(_base, views.endpoint_list, name="list"),
    path(f"{_base}events/", views.event_types, name="events"),
    path(_one, views.endpoint_detail, name="detail"),
    path(f"{_one}rotate/", views.endpoint_rotate, name="rotate"),
    path(f"{_one}test/", views.endpoint_test, name="test"),
    path(f"{_one}delete/", views.endpoint_delete, name="delete"),
    path(f"{_one}deliveries/<str:delivery_id>/retry/", views.delivery_retry, name="retry"),
]
