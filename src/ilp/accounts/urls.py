from django.urls import path

from . import views

app_name = "accounts"

_manage = "companies/<str:gaid>/manage/"

urlpatterns = [
    path("invitations/<str:token>", views.invitation, name="invitation"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path(_manage, views.manage_company, name="manage_company"),
    path(f"{_manage}company/", views.company_edit, name="company_edit"),
    path(f"{_manage}members/<str:email>/role/", views.member_role, name="member_role"),
    path(f"{_manage}members/<str:email>/remove/", views.member_remove, name="member_remove"),
    path(f"{_manage}invitations/", views.invitation_send, name="invitation_send"),
    path(
        f"{_manage}invitations/<int:invitation_id>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path(
        f"{_manage}access-requests/<int:access_request_id>/invite/",
        views.access_request_invite,
        name="access_request_invite",
    ),
    path(
        f"{_manage}access-requests/<int:access_request_id>/dismiss/",
        views.access_request_dismiss,
        name="access_request_dismiss",
    ),
]
