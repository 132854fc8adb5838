"""The change feed: total order, resumable, no event skipped when transactions commit out of order.

Feed reads only return events of finished transactions, so these tests commit for real
(`transaction=True`); other sessions on the same server can hold the horizon back for a moment,
hence the polling helpers.
"""
from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connections, transaction

from apps.accounts.models import User
from apps.dossiers import services
from apps.dossiers.models import DossierEvent
from apps.portal.selectors import FeedPosition, change_feed

from .conftest import make_history

pytestmark = pytest.mark.django_db(transaction=True)


def read_all(after: str | None = None, limit: int = 50) -> tuple[list[DossierEvent], str | None]:
    seen: list[DossierEvent] = []
    while True:
        page = change_feed(after=after, limit=limit)
        seen += page.events
        after = page.next_cursor
        if not page.has_more:
            return seen, after


def read_until(count: int, after: str | None = None, timeout: float = 30) -> tuple[list[DossierEvent], str | None]:
    seen: list[DossierEvent] = []
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        more, after = read_all(after)
        seen += more
        if len(seen) < count:
            time.sleep(0.05)
    return seen, after


def test_pages_follow_each_other_through_the_api(signed, demo, media_root):
    make_history(3, steps=2)
    ids = list(DossierEvent.objects.order_by("id").values_list("id", flat=True))
    seen, cursor = [], None
    deadline = time.monotonic() + 30
    while len(seen) < len(ids) and time.monotonic() < deadline:
        path = "/api/v1/portal/changes/?limit=4" + (f"&after={cursor}" if cursor else "")
        response = signed("GET", path)
        assert response.status_code == 200, response.content
        page = response.json()
        seen += page["results"]
        cursor = page["next_cursor"]
        if not page["has_more"] and len(seen) < len(ids):
            time.sleep(0.2)  # another session's open transaction holds the horizon back
    assert [e["event_id"] for e in seen] == ids  # single writer here: (txid, id) order is id order
    first = seen[0]
    assert (first["action"], first["to_status"], first["portal_status"]) == ("register", "received", 2)
    assert first["dossier"].startswith("000.00.17.H29-") and first["procedure"] == "2.000488"
    assert seen[-1]["cursor"] == cursor
    # At the end, the same cursor comes back with nothing after it.
    again = signed("GET", f"/api/v1/portal/changes/?after={cursor}").json()
    assert again == {"results": [], "next_cursor": cursor, "has_more": False}


def test_bad_cursor_or_limit_is_a_400(signed, portal_key):
    for path in ("/api/v1/portal/changes/?after=not-a-cursor", "/api/v1/portal/changes/?limit=0",
                 "/api/v1/portal/changes/?limit=5000", "/api/v1/portal/changes/?limit=x"):
        response = signed("GET", path)
        assert response.status_code == 400, path
        assert response.json()["errors"][0]["field"] in ("after", "limit")


def test_cursor_round_trip():
    position = FeedPosition(123456789, 42)
    assert FeedPosition.decode(position.encode()) == position


def test_an_event_committed_late_is_not_skipped(demo, media_root):
    """T1 writes event A and stays open; T2 writes B (a larger id) and commits first. A reader that
    trusted ids would take B, move past A's id and never see A. The feed holds B back until T1 ends."""
    first, second = make_history(2, steps=0)
    _, cursor = read_until(2)
    clerk = services.Caller.for_user(User.objects.get(username="clerk_tuphap"))
    wrote, release = threading.Event(), threading.Event()

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                services.dossier_assign(dossier_id=first.pk, caller=clerk, assignee_username="specialist_tuphap")
                wrote.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert wrote.wait(30)
    services.dossier_assign(dossier_id=second.pk, caller=clerk, assignee_username="specialist_tuphap")
    late_b = DossierEvent.objects.filter(dossier=second).latest("id")
    page = change_feed(after=cursor, limit=100)
    assert late_b.pk not in [e.pk for e in page.events]  # B waits: A's transaction is still open
    assert page.next_cursor == cursor
    release.set()
    thread.join(30)
    events, _ = read_until(2, after=cursor)
    a = DossierEvent.objects.filter(dossier=first).latest("id")
    assert a.pk < late_b.pk
    assert [e.pk for e in events] == [a.pk, late_b.pk]


def test_concurrent_writers_the_reader_never_misses_an_event(demo, media_root):
    dossiers = make_history(5, steps=0)
    initial = DossierEvent.objects.count()
    clerk = services.Caller.for_user(User.objects.get(username="clerk_tuphap"))
    writers_done = threading.Event()
    seen: list[DossierEvent] = []
    failures: list[BaseException] = []

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(20):
                with transaction.atomic():  # one action per transaction, held open a random while
                    dossier = rng.choice(dossiers)
                    services.dossier_assign(dossier_id=dossier.pk, caller=clerk, assignee_username="specialist_tuphap")
                    time.sleep(rng.uniform(0, 0.01))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    def reader() -> None:
        after = None
        try:
            while True:
                finished = writers_done.is_set()
                page = change_feed(after=after, limit=7)
                seen.extend(page.events)
                after = page.next_cursor
                if finished and not page.has_more and len(seen) >= initial + 80:
                    return
                if not page.has_more:
                    time.sleep(0.002)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    reading = threading.Thread(target=reader)
    reading.start()
    writers = [threading.Thread(target=writer, args=(seed,)) for seed in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(60)
    writers_done.set()
    reading.join(60)
    assert not failures, failures
    assert not reading.is_alive()
    all_ids = list(DossierEvent.objects.order_by("id").values_list("id", flat=True))
    got = [e.pk for e in seen]
    assert len(got) == len(set(got))  # nothing twice
    assert sorted(got) == all_ids  # nothing missed
    positions = [FeedPosition.of(e) for e in seen]
    assert positions == sorted(positions)  # one total order
    by_dossier: dict[int, list[int]] = {}
    for event in seen:
        by_dossier.setdefault(event.dossier_id, []).append(event.pk)
    assert all(ids == sorted(ids) for ids in by_dossier.values())  # each dossier in its own order
