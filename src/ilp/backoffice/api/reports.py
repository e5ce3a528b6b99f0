from ninja import Router

router = Router(tags=["back office"])
