from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ilp.web"
    label = "web"

    def ready(self) -> None:
        # Assembly: accounts checks a company claim (rule 16) against licensing's subscription
        # keys, which it cannot import (it sits below licensing); the assembly hands it the
        # check, the way accounts hands core its token resolvers.
        from ilp.accounts.proofs import company_key_check_register

        from . import metrics
        from .proofs import company_holds_key

        company_key_check_register(company_holds_key)
        metrics.register()  # tasks waiting and the daily jobs in GET /metrics
