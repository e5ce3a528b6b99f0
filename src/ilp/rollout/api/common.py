"""What the rollout routes share: the company-side authentication by permission."""

from ilp.core.auth import CompanyAuth
from ilp.core.authz import Permission

VIEW = CompanyAuth(Permission.VIEW)
MANAGE = CompanyAuth(Permission.MANAGE_ROLLOUT)
