"""The company claim form (issue 24): a subscription key typed without dashes or in lower
case is the key (as delivery tokens are), and a throttled claim says the wait in minutes,
never "3602 seconds" — in English and in German."""

import re

import pytest
from django.test import Client

from ilp.accounts.models import Company
from ilp.licensing.models import SubscriptionKey

pytestmark = pytest.mark.django_db

FORM = {"email": "hanna@harbour.test", "first_name": "Hanna", "last_name": "Hafen"}


@pytest.fixture
def claimable(db):
    company = Company.objects.create(gaid="GA7K3QXAB1", name="Harbour Logistics")
    SubscriptionKey.objects.create(company=company, key="SK-AAAA-BBBB-CCCC")
    return company


@pytest.mark.parametrize("typed", ["SKAAAABBBBCCCC", "sk-aaaa-bbbb-cccc", " sk aaaa bbbb cccc "])
def test_the_key_typed_without_dashes_is_the_key(claimable, typed):
    answer = Client().post(
        "/register/", {**FORM, "gaid": claimable.gaid, "subscription_key": typed}
    )
    assert answer.status_code == 202, answer.content.decode()[:400]
    assert "We have sent a mail to hanna@harbour.test" in answer.content.decode()


@pytest.mark.parametrize(
    ("language", "words"), [("en", r"Try again in \d+ minutes"), ("de", r"in \d+ Minuten erneut")]
)
def test_a_throttled_claim_says_the_wait_in_minutes(claimable, settings, language, words):
    settings.ILP_THROTTLE_MAIL_PER_ADDRESS = "1/h"
    client = Client(headers={"Accept-Language": language})
    claim = {**FORM, "gaid": claimable.gaid, "subscription_key": "SK-AAAA-BBBB-CCCC"}
    assert client.post("/register/", claim).status_code == 202
    throttled = client.post("/register/", claim)
    assert throttled.status_code == 429
    text = throttled.content.decode()
    assert re.search(words, text), text[text.find("errorlist") :][:400]
    assert not re.search(r"\d{3,} (seconds|Sekunden)", text)
    assert int(throttled["Retry-After"]) > 60
