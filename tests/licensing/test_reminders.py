"""Expiry reminders (DESIGN.md "Notifications"): 90, 60, 30 and 7 days, each once per pack."""

import datetime
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from ilp.audit.models import AuditEvent
from ilp.licensing.models import ExpiryReminder, ProductPack
from ilp.licensing.services.reminders import reminder_threshold, reminders_queue
from ilp.notifications.models import OutboxMail
from tests.accounts.factories import add_member, make_company, make_user
from tests.licensing.factories import make_key

TODAY = datetime.date(2026, 11, 28)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def reminder_mails(to=None):
    qs = OutboxMail.objects.filter(template="expiry_reminder").order_by("pk")
    return list(qs.filter(to=to) if to else qs)


@pytest.fixture
def admin(db, company):
    return make_user("admin@acme.test", company=company, role="administrator")


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (120, None),
        (91, None),
        (90, 90),
        (61, 90),
        (60, 60),
        (31, 60),
        (30, 30),
        (29, 30),
        (8, 30),
        (7, 7),
        (1, 7),
        (0, None),
        (-3, None),
    ],
)
def test_threshold_is_the_most_urgent_one_reached(days_left, expected):
    assert reminder_threshold(days_left) == expected


def test_pack_expiring_in_29_days_gets_the_30_day_reminder_only(company, admin):
    key = make_key(company, packs=[("WE", 10)], expires_on=days(29))
    pack = key.product_packs.get()

    run = reminders_queue(today=TODAY)

    assert (run.companies, run.reminders, run.mails) == (1, 1, 1)
    assert list(ExpiryReminder.objects.values_list("pack_id", "days_before", "expires_on")) == [
        (pack.pk, 30, days(29))
    ]
    [mail] = reminder_mails()
    assert mail.to == "admin@acme.test"
    assert "Acme GmbH" in mail.subject and "expires soon" in mail.subject
    assert pack.pack_id in mail.body_text
    assert key.key in mail.body_text
    assert str(days(29)) in mail.body_text and "in 29 days" in mail.body_text
    link = f"/companies/{company.gaid}/packs/?status=active&expires_before={days(30)}"
    assert link in mail.body_text  # the pack list, filtered to what the mail is about


def test_running_again_the_same_day_queues_nothing(company, admin):
    make_key(company, packs=[("WE", 10)], expires_on=days(60))
    assert reminders_queue(today=TODAY).mails == 1
    again = reminders_queue(today=TODAY)
    assert (again.reminders, again.mails) == (0, 0)
    assert len(reminder_mails()) == 1


def test_daily_runs_send_each_threshold_exactly_once(company, admin):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(100)).product_packs.get()
    for n in range(0, 105):
        reminders_queue(today=days(n))
    sent = list(
        ExpiryReminder.objects.filter(pack=pack)
        .order_by("-days_before")
        .values_list("days_before", flat=True)
    )
    assert sent == [90, 60, 30, 7]
    mails = reminder_mails()
    assert len(mails) == 4
    assert ["in 90 days" in mails[0].body_text, "in 7 days" in mails[3].body_text] == [True, True]


def test_a_missed_week_sends_the_passed_threshold_not_the_older_ones(company, admin):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(95)).product_packs.get()
    reminders_queue(today=days(5))  # 90 days left: the 90-day reminder
    reminders_queue(today=days(50))  # 45 days left: the 60-day one, late
    reminders_queue(today=days(92))  # 3 days left: 30 was skipped entirely, 7 is due
    sent = sorted(ExpiryReminder.objects.filter(pack=pack).values_list("days_before", flat=True))
    assert sent == [7, 60, 90]


def test_one_mail_per_recipient_and_company_listing_all_due_packs(company, admin):
    k1 = make_key(company, packs=[("WE", 10), ("EMP", 5)], expires_on=days(30))
    k2 = make_key(company, packs=[("WE", 3)], expires_on=days(6))
    other = make_company(name="Other Corp")
    other_admin = make_user("boss@other.test", company=other, role="administrator")
    k3 = make_key(other, packs=[("WE", 7)], expires_on=days(20))
    # A service provider for both companies who opted in for Acme only.
    sp = make_user("sp@partner.test", company=company, role="service_provider")
    sp.memberships.filter(company=company).update(notify=True)
    add_member(sp, other, role="service_provider")

    run = reminders_queue(today=TODAY)

    assert (run.companies, run.reminders) == (2, 4)
    [acme_mail] = reminder_mails("admin@acme.test")
    for pack in [*k1.product_packs.all(), *k2.product_packs.all()]:
        assert pack.pack_id in acme_mail.body_text
    assert k3.product_packs.get().pack_id not in acme_mail.body_text
    assert "3 product packs" in acme_mail.subject
    [sp_mail] = reminder_mails("sp@partner.test")
    assert sp_mail.body_text == acme_mail.body_text.replace(admin.full_name, sp.full_name)
    [other_mail] = reminder_mails(other_admin.email)
    assert k3.product_packs.get().pack_id in other_mail.body_text
    assert "Acme" not in other_mail.body_text


def test_recipients_are_administrators_and_opted_in_members(company, admin):
    make_key(company, packs=[("WE", 10)], expires_on=days(7))
    opted = make_user("reader@acme.test", company=company, role="user")
    opted.memberships.update(notify=True)
    make_user("quiet@acme.test", company=company, role="user")
    make_user("sp@acme.test", company=company, role="service_provider")
    gone = make_user("gone@acme.test", company=company, role="administrator")
    gone.is_active = False
    gone.save()

    reminders_queue(today=TODAY)

    assert sorted(m.to for m in reminder_mails()) == ["admin@acme.test", "reader@acme.test"]
    assert ExpiryReminder.objects.get().recipients == 2


def test_packs_that_cannot_expire_soon_get_no_reminder(company, admin):
    make_key(company, packs=[("WE", 10)], expires_on=days(0))  # expires today: already expired
    make_key(company, packs=[("WE", 10)], expires_on=days(-10))  # expired
    make_key(company, packs=[("WE", 10)], expires_on=days(91))  # not yet
    make_key(company, packs=[("WE-P", 10)])  # perpetual: no expiry
    archived = make_key(company, packs=[("WE", 10)], expires_on=days(10)).product_packs.get()
    archived.state = ProductPack.State.ARCHIVED
    archived.save()
    key = make_key(company, packs=[("WE", 4), ("WE", 6)], expires_on=days(10))
    target, merged = key.product_packs.order_by("pk")
    merged.state, merged.merged_into = ProductPack.State.MERGED, target
    merged.save()

    run = reminders_queue(today=TODAY)

    assert run.reminders == 1
    assert list(ExpiryReminder.objects.values_list("pack_id", flat=True)) == [target.pk]


def test_a_renewed_pack_is_reminded_again_before_its_new_expiry(company, admin):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(30)).product_packs.get()
    reminders_queue(today=TODAY)
    pack.expires_on = days(30 + 365)  # renewal: the expiry moves a year on
    pack.save()
    reminders_queue(today=days(1))
    assert ExpiryReminder.objects.count() == 1
    reminders_queue(today=days(30 + 365 - 90))
    assert sorted(ExpiryReminder.objects.values_list("days_before", "expires_on")) == [
        (30, days(30)),
        (90, days(395)),
    ]
    assert len(reminder_mails()) == 2


def test_company_without_anyone_to_tell_records_nothing_until_someone_joins(company):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(40)).product_packs.get()
    run = reminders_queue(today=TODAY)
    assert (run.reminders, run.skipped_no_recipient) == (0, 1)
    assert not ExpiryReminder.objects.exists() and not reminder_mails()

    make_user("admin@acme.test", company=company, role="administrator")
    reminders_queue(today=days(12))  # 28 days left now: the 30-day reminder, not the 60
    assert list(ExpiryReminder.objects.values_list("pack_id", "days_before")) == [(pack.pk, 30)]
    assert len(reminder_mails()) == 1


def test_reminder_writes_an_audit_event(company, admin):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(7)).product_packs.get()
    reminders_queue(today=TODAY)
    event = AuditEvent.objects.get(action="pack.expiry_reminder")
    assert event.company == company and event.actor_kind == "system"
    assert event.after == {
        "reminders": [{"pack": pack.pack_id, "days_before": 7}],
        "recipients": ["admin@acme.test"],
    }


def test_the_same_reminder_cannot_be_recorded_twice(company):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(7)).product_packs.get()
    ExpiryReminder.objects.create(pack=pack, expires_on=pack.expires_on, days_before=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpiryReminder.objects.create(pack=pack, expires_on=pack.expires_on, days_before=7)


def test_a_reminder_recorded_by_another_run_is_not_mailed_again(company, admin):
    pack = make_key(company, packs=[("WE", 10)], expires_on=days(7)).product_packs.get()
    ExpiryReminder.objects.create(pack=pack, expires_on=pack.expires_on, days_before=7)
    assert reminders_queue(today=TODAY).mails == 0
    assert not reminder_mails()


def test_queries_do_not_grow_with_the_number_of_packs(
    company, admin, django_assert_max_num_queries
):
    for _ in range(3):
        make_key(company, packs=[("WE", 10), ("EMP", 5)], expires_on=days(30))
    with django_assert_max_num_queries(14) as captured:
        reminders_queue(today=TODAY)
    small = len(captured.captured_queries)
    OutboxMail.objects.all().delete()
    ExpiryReminder.objects.all().delete()
    for _ in range(30):
        make_key(company, packs=[("WE", 10), ("EMP", 5)], expires_on=days(30))
    with django_assert_max_num_queries(small) as captured:
        assert reminders_queue(today=TODAY).reminders == 66


def test_command_queues_and_reports(company, admin):
    make_key(company, packs=[("WE", 10)], expires_on=days(60))
    out = StringIO()
    call_command("send_reminders", "--date", str(TODAY), stdout=out, stderr=StringIO())
    assert "1 reminders for 1 company, 1 mails queued" in out.getvalue()
    out = StringIO()
    call_command("send_reminders", "--date", str(TODAY), stdout=out, stderr=StringIO())
    assert "0 reminders for 0 companies, 0 mails queued" in out.getvalue()


def test_command_shows_progress_over_many_companies(db):
    for n in range(3):
        c = make_company(name=f"C{n}")
        make_user(company=c, role="administrator")
        make_key(c, packs=[("WE", 1)], expires_on=days(7))
    err = StringIO()
    call_command("send_reminders", "--date", str(TODAY), stdout=StringIO(), stderr=err)
    assert "3/3 companies checked, 3 mails queued" in err.getvalue()


def test_command_rejects_a_bad_date(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "28.11.2026")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_each_reminder_once():
    companies = []
    for n in range(6):
        c = make_company(name=f"Concurrent {n}")
        make_user(company=c, role="administrator")
        make_key(c, packs=[("WE", 5), ("EMP", 5)], expires_on=days(30))
        companies.append(c)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            reminders_queue(today=TODAY)
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ExpiryReminder.objects.count() == 12
    assert OutboxMail.objects.filter(template="expiry_reminder").count() == 6


def test_plain_text_mails_are_not_html_escaped(db):
    company = make_company(name="Smith & Sons <Ltd>")
    make_user("o'brien@smith.test", company=company, role="administrator", first_name="Seán")
    make_key(company, packs=[("WE", 10)], expires_on=days(7))
    reminders_queue(today=TODAY)
    [mail] = reminder_mails()
    assert mail.subject == "A product pack of Smith & Sons <Ltd> expires soon"
    assert "Smith & Sons <Ltd>" in mail.body_text and "&amp;" not in mail.body_text
    assert "&expires_before=" in mail.body_text


def test_a_pack_renewed_during_the_run_is_read_again_under_the_lock(company, admin, monkeypatch):
    from ilp.licensing.services import reminders as services

    pack = make_key(company, packs=[("WE", 10)], expires_on=days(30)).product_packs.get()
    original = services._company_reminders_queue

    def renewed_meanwhile(**kwargs):
        ProductPack.objects.filter(pk=pack.pk).update(expires_on=days(395))
        return original(**kwargs)

    monkeypatch.setattr(services, "_company_reminders_queue", renewed_meanwhile)
    run = reminders_queue(today=TODAY)
    assert (run.reminders, run.mails) == (0, 0)
    assert not ExpiryReminder.objects.exists()
