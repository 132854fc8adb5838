"""Issue 19: a short critical section on intake, the writes in one statement (PostgreSQL).

Real transactions (`transaction=True`): a submission is its own transaction here, as in a request,
so the statements counted are the ones a request sends and other threads see committed rows.
"""
from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.common.postgresql.base import PREPARE_THRESHOLD
from apps.documents.models import DocumentMail
from apps.dossiers.models import CodeCounter, Dossier, DossierDocument, DossierEvent, IdempotencyRecord
from apps.dossiers.onestatement import StandIns
from apps.portal.models import OutboxMessage
from apps.stats.models import StatDelta
from onestop.codes import format_dossier_code

from .conftest import BIRTH, BIRTH_DOCS, PDF, RECORD, RECORD_DOCS, files_under, multipart
from .test_concurrency import assert_gapless, client_for, post_dossier, run_together

pytestmark = pytest.mark.django_db(transaction=True)


class StatementLog:
    """Every statement a submission sends, with whether a transaction block was open around it."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, bool]] = []
        self.params: list[int] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, connection.in_atomic_block or not connection.get_autocommit()))
        self.params.append(len(params or ()))
        return execute(sql, params, many, context)


def test_a_submission_is_one_statement_and_no_transaction_block(demo, media_root):
    """Round trips of a warm multipart submission with an Idempotency-Key and two PDFs: one statement
    that draws the dossier and event ids, claims the key, allocates the code and writes every row.
    No BEGIN/COMMIT/SAVEPOINT: the statement is its own transaction."""
    client = client_for("citizen1")
    assert post_dossier(client, RECORD, key="warm")[0] == 201  # catalogue and calendar caches filled
    log = StatementLog()
    with connection.execute_wrapper(log), CaptureQueriesContext(connection) as captured:
        status, body = post_dossier(client, RECORD, key="counted")
    assert status == 201, body
    assert len(captured) == 1, [q["sql"][:120] for q in captured.captured_queries]
    assert [in_block for _, in_block in log.statements] == [False]
    (statement, _), = log.statements
    assert statement.startswith("WITH ids AS (SELECT nextval(")
    assert "claim AS (INSERT INTO dossiers_idempotencyrecord" in statement
    for table in ("dossiers_codecounter", "dossiers_dossier", "dossiers_dossierevent", "dossiers_dossierdocument",
                  "portal_outboxmessage", "stats_statdelta"):
        assert f"INSERT INTO {connection.ops.quote_name(table)}" in statement or f"INSERT INTO {table}" in statement
    # Short and with few parameters, the same text for every submission of this shape: PostgreSQL
    # parses and plans it once per connection (a prepared statement, see the next test).
    assert len(statement) <= 4096 and log.params[0] <= 50, (len(statement), log.params[0])
    again = StatementLog()
    with connection.execute_wrapper(again):
        assert post_dossier(client, RECORD, key="counted-again")[0] == 201
    assert again.statements[0][0] == statement


def test_the_statement_is_prepared_on_the_connection(demo, media_root):
    """After psycopg's threshold of runs the intake statement is a prepared statement of the
    connection: PostgreSQL no longer parses and plans it on every submission. Django's own
    statements keep client-side binding and are never prepared."""
    client = client_for("citizen1")
    for n in range(PREPARE_THRESHOLD + 2):
        assert post_dossier(client, RECORD, key=f"prepared-{n}")[0] == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
                       "WHERE statement NOT LIKE 'SELECT%%accounts_user%%'")  # the account read, when signed
        prepared = cursor.fetchall()
    assert len(prepared) == 1, prepared
    (statement, runs), = prepared
    assert statement.startswith("WITH ids AS (SELECT nextval(") and runs >= 2


def test_prepared_statements_can_be_turned_off(demo, media_root, settings):
    """DB_PREPARED_STATEMENTS=false (OPTIONS prepare_threshold None, e.g. behind a transaction-pooling
    PgBouncer): the statement runs unprepared on a new connection, and intake works the same."""
    connection.close()
    settings.DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
    connection.settings_dict.setdefault("OPTIONS", {})["prepare_threshold"] = None
    try:
        client = client_for("citizen1")
        for n in range(PREPARE_THRESHOLD + 2):
            assert post_dossier(client, RECORD, key=f"unprepared-{n}")[0] == 201
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            assert cursor.fetchone()[0] == 0
    finally:
        connection.settings_dict["OPTIONS"].pop("prepare_threshold")
        connection.close()


def test_stand_ins_are_negative_nineteen_digit_numbers_and_a_random_text():
    """No real id is negative, and two stand-ins of one submission have the same length: neither
    one's text is inside the other's, so replacing one never touches the other."""
    for _ in range(200):
        stand_ins = StandIns.new()
        assert stand_ins.dossier_id < 0 and stand_ins.event_id < 0
        assert len(str(stand_ins.dossier_id)) == len(str(stand_ins.event_id)) == 20
        assert stand_ins.dossier_id != stand_ins.event_id
        assert stand_ins.code.startswith("@@") and not any(c.isdigit() for c in stand_ins.code[:15])
    assert len({StandIns.new().dossier_id for _ in range(100)}) == 100


def test_ids_reach_foreign_keys_text_and_json_in_the_rows(demo, media_root):
    """The ids the statement draws replace their stand-ins everywhere a row holds them (foreign
    keys, a number inside JSON), in the database and in the Python rows the answer is built from."""
    status, body = post_dossier(client_for("citizen1"), RECORD, RECORD_DOCS, key="k-ids")
    assert status == 201, body
    dossier = Dossier.objects.get(pk=body["id"])
    event = DossierEvent.objects.get(dossier=dossier)
    assert event.pk > 0 and dossier.pk > 0
    outbox = OutboxMessage.objects.get(dossier=dossier)
    assert (outbox.event_id, outbox.dossier_id) == (event.pk, dossier.pk)
    assert outbox.payload["TienDo"]["MaSuKien"] == event.pk
    assert {d.dossier_id for d in DossierDocument.objects.filter(dossier=dossier)} == {dossier.pk}
    assert IdempotencyRecord.objects.get(key="k-ids").dossier_id == dossier.pk
    assert Dossier.objects.filter(pk__lt=0).count() == DossierEvent.objects.filter(pk__lt=0).count() == 0


def test_every_row_arrives_with_the_code_and_the_ids(demo, media_root):
    status, body = post_dossier(client_for("citizen1"), RECORD, key="k-rows")
    assert status == 201
    dossier = Dossier.objects.get(pk=body["id"])
    event = DossierEvent.objects.get(dossier=dossier)
    assert dossier.code == body["code"] and dossier.code.startswith(RECORD["agency"] + "-")
    assert event.txid is not None  # the database default (the writing transaction) still applies
    assert dossier.applicant_name_folded  # a generated column: left to the database, computed
    outbox = OutboxMessage.objects.get(dossier=dossier)
    assert outbox.event_id == event.pk
    assert outbox.payload["MaHoSo"] == dossier.code  # the code reached the JSON inside the statement
    assert outbox.payload["TienDo"]["MaSuKien"] == event.pk
    assert StatDelta.objects.filter(agency_id=dossier.agency_id, procedure_id=dossier.procedure_id).exists()
    assert IdempotencyRecord.objects.get(key="k-rows").dossier_id == dossier.pk
    documents = DossierDocument.objects.filter(dossier=dossier)
    assert sorted(d.document_type for d in documents) == sorted(RECORD_DOCS)
    assert sorted(d.file.name for d in documents) == files_under(media_root)


def test_a_registration_with_an_email_logs_its_receipt_mail_in_the_statement(demo, media_root, as_user):
    payload = {**RECORD, "channel": "counter",
               "applicant": {"name": "Nguyễn Văn Bảy", "id_number": "001088000777", "applicant_type": "citizen",
                             "email": "bay@example.vn"}}
    response = as_user("clerk_tuphap").post("/api/v1/dossiers/register/",
                                            multipart(payload, {c: PDF for c in RECORD_DOCS}), format="multipart")
    assert response.status_code == 201, response.json()
    mail = DocumentMail.objects.get(dossier_id=response.json()["id"])
    assert mail.event_id == DossierEvent.objects.get(dossier_id=mail.dossier_id).pk
    assert mail.to_email == "bay@example.vn"


@pytest.mark.parametrize("last", [1, 9998, 9999, 123455])
def test_the_statement_formats_codes_like_the_domain(demo, media_root, last):
    """Four digits, more past 9,999: the SQL form and onestop.codes.format_dossier_code agree."""
    status, _first = post_dossier(client_for("citizen1"), BIRTH, BIRTH_DOCS)
    assert status == 201
    counter = CodeCounter.objects.get()
    counter.last_value = last
    counter.save()
    status, body = post_dossier(client_for("citizen1"), BIRTH, BIRTH_DOCS)
    assert status == 201
    assert body["code"] == format_dossier_code(BIRTH["agency"], counter.day, last + 1)


def test_file_writes_do_not_hold_the_agency_counter(demo, media_root, monkeypatch):
    """One submission is stuck writing its files (a slow disk); another to the same agency and
    day still gets its code and commits meanwhile. Before, the first held the counter row's lock
    while it wrote its files, so every submission to that agency waited for it."""
    citizen = User.objects.get(username="citizen1")
    stuck, release = threading.Event(), threading.Event()
    real_save = FileSystemStorage.save

    def slow_save(self, name, content, max_length=None):
        if threading.current_thread().name == "slow" and not stuck.is_set():
            stuck.set()
            release.wait(60)
        return real_save(self, name, content, max_length=max_length)

    monkeypatch.setattr(FileSystemStorage, "save", slow_save)
    results: dict[str, tuple[int, dict]] = {}

    def submit(name: str) -> None:
        try:
            client = APIClient()
            client.force_authenticate(citizen)
            results[name] = post_dossier(client, RECORD)
        finally:
            connections.close_all()

    slow = threading.Thread(target=submit, args=("slow",), name="slow")
    slow.start()
    try:
        assert stuck.wait(30)
        fast = threading.Thread(target=submit, args=("fast",), name="fast")
        fast.start()
        fast.join(20)
        finished_while_stuck = not fast.is_alive()
    finally:
        release.set()
        slow.join(60)
    assert finished_while_stuck, "the second submission waited for the first one's file writes"
    fast.join(30)
    assert results["fast"][0] == results["slow"][0] == 201
    # Codes follow commit order: the one that finished first has number 1.
    assert_gapless([results["fast"][1]["code"], results["slow"][1]["code"]], 2)
    assert results["fast"][1]["code"].endswith("-0001")


def test_200_concurrent_keyed_submissions_to_one_agency_with_replays(demo, media_root):
    """200 requests to one agency from 40 threads (one connection each), every key sent by two
    threads at once: 100 dossiers, gapless codes, both answers name the same dossier, files of
    the winners only."""
    citizens = [User.objects.get(username=u) for u in ("citizen1", "citizen2")]

    def work(index: int) -> list[tuple[int, dict]]:
        client = APIClient()
        client.force_authenticate(citizens[index % 2])  # threads i and i + 20: same user, same keys
        return [post_dossier(client, BIRTH, BIRTH_DOCS, key=f"pair-{index % 20}-{n}") for n in range(5)]

    results = run_together(40, work)

    assert {status for batch in results for status, _ in batch} == {201}
    for index in range(20):
        assert [b["id"] for _, b in results[index]] == [b["id"] for _, b in results[index + 20]]
    codes = sorted({body["code"] for batch in results for _, body in batch})
    assert_gapless(codes, 100)
    assert Dossier.objects.count() == DossierEvent.objects.count() == OutboxMessage.objects.count() == 100
    assert CodeCounter.objects.get().last_value == 100
    assert len(files_under(media_root)) == 100 * len(BIRTH_DOCS) == DossierDocument.objects.count()


def test_a_sink_row_that_the_database_refuses_leaves_nothing(demo, media_root, monkeypatch):
    """The statement is all or nothing: a refused row (here a broken foreign key, checked at the
    statement's commit) undoes the counter, the dossier and every other row; the files go."""
    from apps.dossiers import services

    client = client_for("citizen1")
    real = services.collect

    def with_bad_row(record):
        writes = real(record)
        writes.add(StatDelta(agency_id=-5, procedure_id=record.dossier.procedure_id, day=date(2026, 1, 1),
                             channel="online", level=4, service_class="full", metric=1, n=1))
        return writes

    monkeypatch.setattr(services, "collect", with_bad_row)
    with pytest.raises(Exception, match="foreign key"):
        post_dossier(client, RECORD, key="refused")
    assert (Dossier.objects.count(), CodeCounter.objects.count(), IdempotencyRecord.objects.count(),
            OutboxMessage.objects.count(), StatDelta.objects.count()) == (0, 0, 0, 0, 0)
    assert files_under(media_root) == []
