"""Bulk upload for an air-gapped UMS (services/upload.py): limits, parsing, batches."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ilp.core.actors import Actor
from ilp.core.errors import Invalid
from ilp.rollout import services
from ilp.rollout.models import DeviceLicense
from ilp.rollout.services import upload as upload_module
from tests.licensing.factories import make_key
from tests.rollout.factories import make_ums

pytestmark = pytest.mark.django_db
ACTOR = Actor.system()


def _upload(ums, **kwargs):
    return services.licenses_upload(
        actor=ACTOR, ums=ums, product=kwargs.pop("product", "WE"), **kwargs
    )


def test_a_file_wins_over_pasted_text_and_counts_each_status(ums):
    data = b"\xef\xbb\xbfunit_id;room\n00:E0:C5:00:00:01;1\n00E0C5000002\nbad\n"
    result = _upload(ums, text="AAAAAA99", file=SimpleUploadedFile("u.csv", data))
    assert result.error is None
    assert [r.unit_id for r in result.results] == ["00E0C5000001", "00E0C5000002", "bad"]
    assert result.counts == {
        "issued": 2,
        "existing": 0,
        "no_free_seat": 0,
        "invalid_unit_id": 1,
        "eula_not_accepted": 0,
        "licensed_elsewhere": 0,
        "not_assigned": 0,
    }
    assert not DeviceLicense.objects.filter(unit_id="AAAAAA99").exists()


def test_pasted_text_without_a_file(ums):
    result = _upload(ums, text="AAAAAA01\nAAAAAA02")
    assert result.counts["issued"] == 2


def test_limits_refuse_before_anything_is_issued(ums, monkeypatch):
    with pytest.raises(Invalid) as exc:
        _upload(ums, file=SimpleUploadedFile("big.txt", b"A" * 1_000_001))
    assert exc.value.code == "upload_too_large" and exc.value.message == (
        "The file is larger than 1 MB."
    )
    with pytest.raises(Invalid) as exc:
        _upload(ums, text="\n\n")
    assert exc.value.message == "The file holds no unit IDs."
    monkeypatch.setattr(upload_module, "MAX_UPLOAD_IDS", 3)
    with pytest.raises(Invalid) as exc:
        _upload(ums, text="AAAAAA01\nAAAAAA02\nAAAAAA03\nAAAAAA04")
    assert exc.value.message == "At most 3 unit IDs per upload."
    assert not DeviceLicense.objects.exists()


def test_batches_commit_on_their_own_and_a_refused_one_keeps_the_earlier(company, monkeypatch):
    pack = make_key(company, packs=[("WE", 10)]).product_packs.get()
    ums, _ = make_ums(company, packs=[pack])
    monkeypatch.setattr(upload_module, "MAX_BATCH", 2)
    calls = []
    real = upload_module.licenses_issue

    def issue_then_refuse(**kwargs):
        calls.append(kwargs["unit_ids"])
        if len(calls) == 2:
            raise Invalid("refused", code="test_refusal")
        return real(**kwargs)

    monkeypatch.setattr(upload_module, "licenses_issue", issue_then_refuse)
    result = _upload(ums, text="AAAAAA01\nAAAAAA02\nAAAAAA03\nAAAAAA04\nAAAAAA05")
    assert calls == [["AAAAAA01", "AAAAAA02"], ["AAAAAA03", "AAAAAA04"]]
    assert result.error == "refused" and result.counts["issued"] == 2
    assert DeviceLicense.objects.filter(ums=ums).count() == 2


def test_an_unknown_product_is_the_result_error(ums):
    result = _upload(ums, product="XX", text="AAAAAA01")
    assert result.results == [] and result.error == "Unknown product XX."


# --- issue 13: one parser for upload, API and search; text files only ----------------------


def test_upload_accepts_the_separators_search_accepts(ums):
    result = _upload(ums, text="00e0.c5aa.0003\n00 E0 C5 AA 00 04\n00-e0-c5-aa-00-05")
    assert result.counts["issued"] == 3, [(r.unit_id, r.status) for r in result.results]
    assert set(DeviceLicense.objects.values_list("unit_id", flat=True)) == {
        "00E0C5AA0003",
        "00E0C5AA0004",
        "00E0C5AA0005",
    }


def test_upload_reads_latin1_csv(ums):
    data = "unit_id;Raum\n00E0C5AA0006;Büro Köln\n".encode("cp1252")
    result = _upload(ums, file=SimpleUploadedFile("u.csv", data))
    assert result.counts["issued"] == 1


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        b"PK\x03\x04\x14\x00\x06\x00" + b"\x00\x01\x02\x03" * 50,
    ],
)
def test_upload_refuses_binary_files(ums, data):
    with pytest.raises(Invalid) as refused:
        _upload(ums, file=SimpleUploadedFile("x.png", data))
    assert refused.value.code == "upload_not_text"
    assert not DeviceLicense.objects.exists()
