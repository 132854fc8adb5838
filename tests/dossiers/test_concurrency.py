"""Intake and actions under real concurrency (threads, one PostgreSQL connection each).

Threads only see committed rows, so every test here runs in a real transaction (`transaction=True`)
and each thread closes its own connections at the end.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.files.storage import FileSystemStorage
from django.db import IntegrityError, connections
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.dossiers import services
from apps.dossiers.models import CodeCounter, Dossier, DossierDocument, DossierEvent, IdempotencyRecord
from onestop.codes import parse_dossier_code

from .conftest import BIRTH, BIRTH_DOCS, PDF, RECORD, RECORD_DOCS, files_under, multipart

pytestmark = pytest.mark.django_db(transaction=True)

JOIN_TIMEOUT = 120


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` in `count` threads released at once by a barrier; return the results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,), name=f"race-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread is stuck (lock wait?)"
    if failures:
        raise failures[0]
    return results


def client_for(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def post_dossier(client: APIClient, payload: dict, docs=RECORD_DOCS, key: str | None = None) -> tuple[int, dict]:
    """Submit online; the multipart body (and its file objects) is built anew for every call."""
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = client.post("/api/v1/dossiers/", multipart(payload, {c: PDF for c in docs}), format="multipart",
                           **headers)
    return response.status_code, response.json()


def counts() -> dict[str, int]:
    """Rows of every table intake writes: the dossiers app's and, when installed, the portal outbox."""
    labels = [label for label in ("dossiers", "portal") if django_apps.is_installed(f"apps.{label}")]
    models = [model for label in labels for model in django_apps.get_app_config(label).get_models()]
    assert {Dossier, DossierEvent, DossierDocument, CodeCounter, IdempotencyRecord} <= set(models)
    return {model.__name__: model.objects.count() for model in models}


def sequences_by_day(codes: list[str]) -> dict[tuple[str, Any], list[int]]:
    groups: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for code in codes:
        parsed = parse_dossier_code(code)
        assert parsed is not None, code
        agency, day, sequence = parsed
        groups[(agency, day)].append(sequence)
    return {k: sorted(v) for k, v in groups.items()}


def assert_gapless(codes: list[str], total: int) -> None:
    """Per (agency, day), the sequences are exactly 1..n (a run across local midnight is two groups)."""
    assert len(codes) == total
    assert len(set(codes)) == total, "duplicate code"
    for key, sequence in sequences_by_day(codes).items():
        assert sequence == list(range(1, len(sequence) + 1)), (key, sequence)


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_same_idempotency_key_and_body_from_50_threads_create_one_dossier(demo, media_root):
    citizen = User.objects.get(username="citizen1")
    payload = {**RECORD, "note": "Nộp một lần"}

    def work(_: int) -> tuple[int, dict]:
        client = APIClient()
        client.force_authenticate(citizen)
        return post_dossier(client, payload, key="key-50-threads")

    results = run_together(50, work)

    assert {status for status, _ in results} == {201}, [b for s, b in results if s != 201][:3]
    assert len({body["id"] for _, body in results}) == 1
    assert len({body["code"] for _, body in results}) == 1
    dossier = Dossier.objects.get()
    assert dossier.pk == results[0][1]["id"]
    assert DossierEvent.objects.filter(dossier=dossier).count() == 1
    assert DossierDocument.objects.filter(dossier=dossier).count() == len(RECORD_DOCS)
    assert IdempotencyRecord.objects.get().dossier_id == dossier.pk
    assert CodeCounter.objects.get().last_value == 1
    assert counts().get("OutboxMessage", 0) <= 1  # no side effect per replay
    # Replays stored nothing: only the winner's files are on disk.
    assert len(files_under(media_root)) == len(RECORD_DOCS)


def test_same_key_with_another_body_is_422_and_writes_nothing(demo, media_root):
    client = client_for("citizen1")
    status, first = post_dossier(client, {**RECORD, "note": "lần 1"}, key="key-reused")
    assert status == 201
    before, files_before = counts(), files_under(media_root)

    status, body = post_dossier(client, {**RECORD, "note": "lần 2"}, key="key-reused")

    assert status == 422
    assert body["code"] == "idempotency_key_reused"
    assert counts() == before
    assert files_under(media_root) == files_before
    # Same body again still replays the first response.
    status, replay = post_dossier(client, {**RECORD, "note": "lần 1"}, key="key-reused")
    assert (status, replay["id"], replay["code"]) == (201, first["id"], first["code"])
    assert counts() == before


def test_same_key_two_bodies_racing_one_wins(demo, media_root):
    citizen = User.objects.get(username="citizen1")

    def work(index: int) -> tuple[int, dict, int]:
        client = APIClient()
        client.force_authenticate(citizen)
        variant = index % 2
        status, body = post_dossier(client, {**RECORD, "note": f"biến thể {variant}"}, key="key-two-bodies")
        return status, body, variant

    results = run_together(20, work)

    created = [(body, variant) for status, body, variant in results if status == 201]
    refused = [(body, variant) for status, body, variant in results if status != 201]
    assert len({body["id"] for body, _ in created}) == 1
    winner = {variant for _, variant in created}
    assert len(winner) == 1 and len(created) == 10
    assert all(body["code"] == "idempotency_key_reused" and variant not in winner for body, variant in refused)
    assert len(refused) == 10
    assert counts()["Dossier"] == 1 and counts()["DossierEvent"] == 1
    assert len(files_under(media_root)) == len(RECORD_DOCS)


# --- two clerks, one dossier -------------------------------------------------------------------


@pytest.mark.parametrize("with_if_match", [False, True], ids=["stale-state-409", "if-match-412"])
def test_racing_accepts_one_wins(demo, media_root, with_if_match):
    status, body = post_dossier(client_for("citizen1"), RECORD)
    assert status == 201
    dossier_id = body["id"]
    clerk = User.objects.get(username="clerk_tuphap")
    etag = client_for("clerk_tuphap").get(f"/api/v1/dossiers/{dossier_id}/")["ETag"]
    headers = {"HTTP_IF_MATCH": etag} if with_if_match else {}

    def work(_: int) -> tuple[int, dict]:
        client = APIClient()
        client.force_authenticate(clerk)
        response = client.post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json", **headers)
        return response.status_code, response.json()

    results = run_together(20, work)

    statuses = sorted(status for status, _ in results)
    loser_status, loser_code = (412, "precondition_failed") if with_if_match else (409, "invalid_transition")
    assert statuses == [200] + [loser_status] * 19
    assert {body["code"] for status, body in results if status != 200} == {loser_code}
    winner = next(body for status, body in results if status == 200)
    assert winner["status"] == "received" and winner["version"] == 2
    dossier = Dossier.objects.get(pk=dossier_id)
    assert (dossier.status, dossier.version) == ("received", 2)
    assert DossierEvent.objects.filter(dossier=dossier, action="accept").count() == 1
    assert DossierEvent.objects.filter(dossier=dossier).count() == 2  # submit + accept
    assert counts().get("OutboxMessage", 0) <= 2  # at most one per event, none for the losers


# --- gapless codes -----------------------------------------------------------------------------


def test_200_concurrent_submissions_get_gapless_codes(demo, media_root):
    citizens = [User.objects.get(username=u) for u in ("citizen1", "citizen2")]
    threads, per_thread = 20, 10

    def work(index: int) -> list[tuple[int, dict]]:
        client = APIClient()
        client.force_authenticate(citizens[index % 2])
        return [post_dossier(client, BIRTH, BIRTH_DOCS) for _ in range(per_thread)]

    results = [item for batch in run_together(threads, work) for item in batch]

    total = threads * per_thread
    assert [s for s, _ in results if s != 201] == []
    codes = [body["code"] for _, body in results]
    assert_gapless(codes, total)
    assert all(code.startswith(BIRTH["agency"] + "-") for code in codes)
    assert sorted(Dossier.objects.values_list("code", flat=True)) == sorted(codes)
    assert DossierEvent.objects.count() == total
    # One counter row per (agency, day), at the last number handed out.
    for (_, day), sequence in sequences_by_day(codes).items():
        assert CodeCounter.objects.get(agency__code=BIRTH["agency"], day=day).last_value == len(sequence)


def test_concurrent_submissions_to_several_agencies_do_not_share_sequences(demo, media_root):
    citizen = User.objects.get(username="citizen1")
    targets = [(BIRTH, BIRTH_DOCS), (RECORD, RECORD_DOCS)]

    def submit_one(index: int) -> tuple[int, dict]:
        try:
            client = APIClient()
            client.force_authenticate(citizen)
            target, docs = targets[index % 2]
            return post_dossier(client, target, docs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(submit_one, range(40)))

    assert {s for s, _ in results} == {201}
    codes = [body["code"] for _, body in results]
    assert_gapless(codes, 40)
    assert {agency for agency, _ in sequences_by_day(codes)} == {BIRTH["agency"], RECORD["agency"]}


# --- a failure inside the transaction gives its number back ------------------------------------


def _fail_after_storing(monkeypatch) -> None:
    """The documents are written (files on disk), then a sink fails while the rows are built."""
    real = services.collect

    def collect_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("simulated failure after the files were stored")

    monkeypatch.setattr(services, "collect", collect_then_fail)


def _fail_in_the_statement(monkeypatch) -> None:
    """The files are on disk and the one statement runs (the counter upserted, the dossier and
    every row inserted), then PostgreSQL refuses it at commit: a sink's row breaks a foreign key."""
    real = services.collect

    def collect_with_a_bad_row(*args, **kwargs):
        writes = real(*args, **kwargs)
        writes.add(CodeCounter(agency_id=-1, day=date(2020, 1, 1), last_value=1))
        return writes

    monkeypatch.setattr(services, "collect", collect_with_a_bad_row)


def _fail_on_second_file(monkeypatch) -> None:
    """The storage backend writes the first file and fails on the second (disk full)."""
    real = FileSystemStorage.save
    calls = {"n": 0}

    def save(self, name, content, max_length=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(self, name, content, max_length=max_length)

    monkeypatch.setattr(FileSystemStorage, "save", save)


@pytest.mark.parametrize("make_it_fail", [_fail_after_storing, _fail_on_second_file, _fail_in_the_statement],
                         ids=["after-store", "storage", "in-the-statement"])
@pytest.mark.parametrize("earlier_successes", [0, 1], ids=["first-of-day", "after-one"])
def test_failed_submission_does_not_consume_a_code(demo, media_root, monkeypatch, make_it_fail, earlier_successes):
    client = client_for("citizen1")
    codes = []
    for _ in range(earlier_successes):
        status, body = post_dossier(client, RECORD)
        assert status == 201
        codes.append(body["code"])
    before, files_before = counts(), files_under(media_root)

    with monkeypatch.context() as patch:
        make_it_fail(patch)
        with pytest.raises((RuntimeError, OSError, IntegrityError)):
            post_dossier(client, RECORD, key="key-of-failed-request")

    assert counts() == before
    assert files_under(media_root) == files_before
    # The next one takes the number the failed one had: no gap. The key is free again too.
    status, body = post_dossier(client, RECORD, key="key-of-failed-request")
    assert status == 201
    codes.append(body["code"])
    assert_gapless(codes, earlier_successes + 1)
    stored = sorted(DossierDocument.objects.values_list("file", flat=True))
    assert files_under(media_root) == stored
