from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    path("sso/start", views.sso_start, name="start"),
    path("sso/callback", views.sso_callback, name="callback"),
    path("staff/sso/start", views.staff_start, name="staff_start"),
    path("staff/sso/callback", views.staff_callback, name="staff_callback"),
    path("help/single-sign-on/", views.sso_help, name="help"),
    path("companies/<str:gaid>/manage/sso/", views.sso_settings, name="settings"),
    path("companies/<str:gaid>/manage/sso/remove/", views.sso_remove, name="remove"),
    path("companies/<str:gaid>/manage/sso/domains/", views.domain_add, name="domain_add"),
    path(
        "companies/<str:gaid>/manage/sso/domains/<str:domain>/verify/",
        views.domain_verify,
        name="domain_verify",
    ),
    path(
        "companies/<str:gaid>/manage/sso/domains/<str:domain>/remove/",
        views.domain_remove,
        name="domain_remove",
    ),
]
