from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_otp, name="login_otp"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("switch/", views.switch_company, name="switch_company"),
    path("overview/", views.overview, name="overview"),
    path("no-company/", views.no_company, name="no_company"),
    path("companies/<str:gaid>/audit/", views.audit, name="audit"),
    path("companies/<str:gaid>/search/", views.search, name="search"),
]
