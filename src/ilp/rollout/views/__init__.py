"""Rollout portal pages. Each module contributes its own `urlpatterns` (see `rollout/urls.py`);
the JWKS is `jwks.py`."""
