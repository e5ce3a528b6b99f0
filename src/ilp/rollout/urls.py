from django.urls import path

from . import views

app_name = "rollout"

urlpatterns = [
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    *views.page_urlpatterns,
]
