from django.urls import path

from . import views

app_name = "accounts"

_manage = "companies/<str:gaid>/manage/"

urlpatterns = [
    path("invitations/<str:token>", views.invitation, name="invitation"),
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("profile/sessions/", views.sessions, name="sessions"),
    path("profile/sessions/<int:session_id>/end/", views.session_end, name="session_end"),
    path("profile/password/", views.password_change, name="password_change"),
    path("profile/two-factor/", views.two_factor, name="two_factor"),
    path("profile/delete/", views.deletion_request, name="deletion_request"),
    path("account/delete/<str:token>", views.deletion_confirm, name="deletion_confirm"),
    path("password-reset/", views.password_reset_request, name="password_reset_request"),
    path("password-reset/<str:token>", views.password_reset, name="password_reset"),
    path("register/", views.register, name="register"),
    path(_manage, views.manage_company, name="manage_company"),
    path(f"{_manage}company/", views.company_edit, name="company_edit"),
    path(f"{_manage}security/", views.company_security, name="company_security"),
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
