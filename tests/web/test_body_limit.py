"""Bodies over ILP_MAX_BODY_MB (issue 12): 413, problem+json on the API and a readable page
for people, decided from Content-Length before the body is read; never a 500."""

import io
import json

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse

from tests.accounts.factories import PASSWORD, make_user
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db

LIMIT = settings.ILP_MAX_BODY_BYTES


def test_the_default_limit_is_two_megabytes_and_django_agrees():
    assert LIMIT == 2 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == LIMIT
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == LIMIT


@pytest.mark.parametrize("size", [LIMIT + 1, int(2.5 * 1024 * 1024), 10 * 1024 * 1024])
def test_api_body_over_the_limit_is_413_problem_json(admin_api, company, size):
    body = json.dumps({"name": "x" * size})
    for path in ("/auth/tokens", f"/companies/{company.gaid}/invitations"):
        response = admin_api.post(path, body, headers={"Idempotency-Key": "big-1"})
        assert response.status_code == 413, (path, response.content[:200])
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "body_too_large" and problem["status"] == 413
        assert problem["detail"] == "The request body is larger than 2 MB."


def test_api_body_at_the_limit_is_read(admin_api, company):
    name = "x" * (LIMIT - len(json.dumps({"name": ""})))
    body = json.dumps({"name": name})
    assert len(body) == LIMIT
    response = admin_api.post("/auth/tokens", body)
    # Read and judged by the route (not a valid login), neither 413 nor 500.
    assert response.status_code in (400, 401, 422), response.content[:200]


def test_django_own_limit_is_a_413_too_never_a_500(admin_api, settings):
    # The second line: should Django's limit ever be the smaller one, its RequestDataTooBig
    # becomes the same 413 (it was a 500 in the API before).
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = admin_api.post("/auth/tokens", {"name": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


@pytest.mark.parametrize("size", [LIMIT - 4, int(2.5 * 1024 * 1024)])
def test_page_body_over_the_limit_is_a_readable_413_page(admin_user, company, size):
    client = Client()
    client.force_login(admin_user)
    big = {"name": "x" * size}  # "name=" makes LIMIT - 4 one byte too many
    for url in ("/login/", reverse("accounts:company_edit", kwargs={"gaid": company.gaid})):
        response = client.post(url, big)
        assert response.status_code == 413, url
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert "<h1>Too large</h1>" in page
        assert "What you sent is larger than 2 MB." in page
        assert response["Content-Security-Policy"].startswith("default-src 'self'")


def test_page_django_own_limit_is_a_413_page(admin_user, company, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client()
    client.force_login(admin_user)
    url = reverse("accounts:company_edit", kwargs={"gaid": company.gaid})
    # Django raises while the view reads the form (the CSRF check is off in the test client).
    response = client.post(url, {"name": "x" * 2000})
    assert response.status_code == 413
    assert "<h1>Too large</h1>" in response.content.decode()


class _CountingStream(io.RawIOBase):
    """A request body that counts what is read from it."""

    def __init__(self, size: int):
        self.left = size
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left, 65536)
        buffer[:n] = b"x" * n
        self.left -= n
        self.read_bytes += n
        return n


def _wsgi(environ_extra: dict, stream) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/auth/tokens",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "application/json",
        **environ_extra,
    }
    status = {}

    def start_response(line, headers, exc_info=None):
        status["line"] = line

    body = b"".join(WSGIHandler()(environ, start_response))
    return status["line"], body


def test_an_oversized_body_is_refused_before_a_byte_is_read():
    stream = _CountingStream(LIMIT * 5)
    status, body = _wsgi({"CONTENT_LENGTH": str(LIMIT * 5)}, stream)
    assert status.startswith("413")
    assert stream.read_bytes == 0


def test_a_chunked_body_without_length_is_not_read_past_the_limit():
    # No Content-Length (chunked transfer): Django's WSGI request reads none of it.
    stream = _CountingStream(LIMIT * 5)
    status, body = _wsgi({"HTTP_TRANSFER_ENCODING": "chunked"}, stream)
    assert not status.startswith("5"), body[:300]
    assert stream.read_bytes <= LIMIT


@pytest.fixture
def upload_page(company, admin_user, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    pack = make_key(company, packs=[("WE", 5)]).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    client = Client(enforce_csrf_checks=True)
    assert client.login(email=admin_user.email, password=PASSWORD)
    url = reverse("rollout:upload", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    token = client.get(url).context["csrf_token"]
    return client, url, str(token)


def test_an_oversized_unit_id_file_is_refused_before_the_form_is_read(upload_page, monkeypatch):
    client, url, token = upload_page

    def no_parsing(*args, **kwargs):
        raise AssertionError("the multipart body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", no_parsing)
    big = SimpleUploadedFile("ids.txt", b"00E0C5AAAA01\n" * 120_000)  # 1.56 MB < body limit
    response = client.post(url, {"product": "WE", "file": big, "csrfmiddlewaretoken": token})
    assert response.status_code == 422
    assert "The file is larger than 1 MB." in response.content.decode()


def test_an_upload_within_the_limit_still_needs_the_csrf_token(upload_page):
    client, url, token = upload_page
    ids = SimpleUploadedFile("ids.txt", b"00E0C5AAAA01\n00E0C5AAAA02\n")
    assert client.post(url, {"product": "WE", "file": ids}).status_code == 403
    ids.seek(0)
    response = client.post(url, {"product": "WE", "file": ids, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert "00E0C5AAAA02" in response.content.decode()


def test_a_file_just_over_one_megabyte_is_still_refused_after_reading(upload_page):
    client, url, token = upload_page
    just_over = SimpleUploadedFile("ids.txt", b"A" * 1_000_001)
    response = client.post(url, {"product": "WE", "file": just_over, "csrfmiddlewaretoken": token})
    assert response.status_code == 422
    assert "The file is larger than 1 MB." in response.content.decode()


def test_an_upload_of_a_normal_member_is_unaffected_for_other_people(company):
    # A person without the rollout permission still gets 403 before any size check.
    make_user("reader@acme.test", company=company, role="user")
    client = Client()
    assert client.login(email="reader@acme.test", password=PASSWORD)
    pack = make_key(company, packs=[("WE", 5)]).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    url = reverse("rollout:upload", kwargs={"gaid": company.gaid, "ums_id": ums.ums_id})
    big = SimpleUploadedFile("ids.txt", b"A" * 1_500_000)
    assert client.post(url, {"product": "WE", "file": big}).status_code == 403
