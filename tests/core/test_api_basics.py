from ilp.audit.models import AuditEvent
from ilp.audit.services import event_record
from ilp.core.actors import Actor


def test_openapi_is_served(api, db):
    response = api().get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "ILP API"


def test_anonymous_gets_problem_json_401(api, company):
    response = api().get(f"/companies/{company.gaid}/events")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and body["code"] == "not_authenticated"
    assert {"type", "title", "detail"} <= body.keys()


def test_unknown_token_is_401(api, company):
    assert api("ilpu_nonsense").get(f"/companies/{company.gaid}/events").status_code == 401


def test_non_member_gets_404_not_403(outsider_api, company):
    response = outsider_api.get(f"/companies/{company.gaid}/events")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_user_role_cannot_read_audit_log(user_api, company):
    assert user_api.get(f"/companies/{company.gaid}/events").status_code == 403


def test_admin_reads_audit_log_paged(admin_api, company):
    for n in range(3):
        event_record(
            actor=Actor.system(), company=company, action="test.done", obj_type="x", obj_id=n
        )
    response = admin_api.get(f"/companies/{company.gaid}/events", {"limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["items"]) == 2
    assert body["items"][0]["object_id"] == "2"  # newest first
    assert AuditEvent.objects.count() == 3
