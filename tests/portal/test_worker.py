"""Outbox delivery by a real Celery worker process (prefork, embedded beat) on real Redis.

The worker runs `celery -A config worker -B` against this test's database; the fake portal runs
in this process. Each test kills something at a bad moment and checks that the receiver ends with
exactly one copy of every event, each dossier's events first received in order. Every test runs
for both adapters (`adapter`: the signed webhook, and the portal's own protocol, where the receiver
drops repeats by MaHoSo + progress time).

The worker's broker and cache are a redis-server of this module's own on a free port, never the
shared one on 6379 (the Redis-stop test stops a second private one).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.db.models import Count

from apps.dossiers.models import DossierEvent
from apps.portal.models import OutboxMessage, OutboxStatus
from apps.portal.services import outbox_replay

from .conftest import adapter_env, make_history

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class RedisServer:
    """A redis-server of our own on a free loopback port (no persistence)."""

    def __init__(self, directory: Path) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is needed (it runs the suite's main Redis too)"
        self.port = free_port()
        self.command = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--dir", str(directory)]
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), 10, "the private Redis")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


class Worker:
    """One `celery worker -B` process group; SIGKILL takes the pool children and beat with it."""

    def __init__(self, *, portal_env: dict[str, str], broker: str, cache: str, log_dir: Path,
                 **overrides: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": database_url(),
            "REDIS_URL": cache,
            "CELERY_BROKER_URL": broker,
            **portal_env,
            "PORTAL_MAX_ATTEMPTS": "3",
            "PORTAL_RETRY_BASE_SECONDS": "0.2",
            "PORTAL_RETRY_MAX_SECONDS": "1",
            "PORTAL_TIMEOUT": "2",
            "PORTAL_BATCH_SIZE": "5",
            "PORTAL_DRAIN_SECONDS": "0.5",
            "NOTIFY_STATUS_SECONDS": "3600",
            "STATS_COMPACT_SECONDS": "3600",
            "LOG_LEVEL": "INFO",
            **overrides,
        }
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> Worker:
        self.starts += 1
        log = open(self.log_dir / f"worker-{self.starts}.log", "wb")
        self.process = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "-B", "--pool", "prefork", "--concurrency", "2",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-s", str(self.log_dir / f"beat-{uuid.uuid4().hex}"), "-n", f"portal-test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        return self

    def supervise(self) -> None:
        """What compose's `restart: unless-stopped` (or systemd) does: start it again if it exited.
        Celery 5.7 can exit with "Unrecoverable error" when the broker vanishes under it."""
        if self.process is not None and self.process.poll() is not None:
            self.start()

    def kill(self) -> None:
        """SIGKILL the whole group: no cleanup, no acks, open transactions die with the connections."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(30)
        self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def fake_portal(adapter):
    """The receiver of the adapter under test (the webhook's or the protocol's fake)."""
    return adapter[1]


@pytest.fixture
def worker_factory(transactional_db, adapter, private_redis) -> Iterator[Callable[..., Worker]]:
    kind, portal = adapter
    log_dir = Path(tempfile.mkdtemp(prefix="portal-worker-"))
    made: list[Worker] = []
    broker, cache = private_redis.url(0), private_redis.url(1)
    redis.Redis.from_url(broker).flushdb()
    redis.Redis.from_url(cache).flushdb()

    def make(broker: str = broker, **overrides: str) -> Worker:
        worker = Worker(portal_env=adapter_env(kind, portal), broker=broker, cache=cache, log_dir=log_dir,
                        **overrides)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.kill()
    redis.Redis.from_url(broker).flushdb()
    if not os.environ.get("PORTAL_TEST_KEEP_LOGS"):  # set it to read the worker logs afterwards
        shutil.rmtree(log_dir, ignore_errors=True)


def wait_until(condition: Callable[[], bool], timeout: float, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None:
            worker.supervise()
        time.sleep(0.1)
    states = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id")))
    raise AssertionError(f"timed out waiting for {what}; outbox {states}\n{worker.logs() if worker else ''}")


def pending() -> int:
    return OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()


def assert_receiver_has_exactly_one_copy_in_order(fake_portal) -> None:
    expected = {str(i) for i in DossierEvent.objects.values_list("id", flat=True)}
    assert set(fake_portal.messages) == expected  # every event, one record each (dicts keep one)
    assert len(fake_portal.order) == len(expected)
    assert fake_portal.order_violations == []
    for ids in fake_portal.keys_by_dossier().values():
        assert ids == sorted(ids)
    assert OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).count() == 0


def test_worker_killed_mid_drain_loses_nothing(worker_factory, fake_portal, demo, media_root):
    make_history(12, steps=4)  # 60 events, 5 per dossier, interleaved
    total = DossierEvent.objects.count()
    fake_portal.configure(delay=0.15)  # record, then answer late: a kill lands after receipt, before marking
    worker = worker_factory().start()
    wait_until(lambda: len(fake_portal.messages) >= 15, 60, "first deliveries", worker)
    worker.kill()
    received_before_restart = len(fake_portal.messages)
    assert pending() > 0 and received_before_restart < total
    fake_portal.configure(delay=0.0)
    worker.start()
    wait_until(lambda: pending() == 0, 90, "the restarted worker to finish", worker)
    worker.stop()
    assert_receiver_has_exactly_one_copy_in_order(fake_portal)
    # Batches the portal recorded but the killed worker never marked were sent again and dropped by key.
    assert fake_portal.duplicates >= 1


def test_redis_stopped_mid_drain_then_restarted(worker_factory, fake_portal, demo, media_root, tmp_path):
    # The broker is a redis-server of this test's own (the shared one on 6379 is never stopped).
    server = RedisServer(tmp_path)

    def start_redis() -> RedisServer:
        return server.start()

    broker = start_redis()
    try:
        make_history(10, steps=3)  # 40 events
        # One batch per task: progress needs task messages, so it must stall while Redis is down.
        worker = worker_factory(broker=server.url(0), PORTAL_DRAIN_MAX_BATCHES="1",
                                PORTAL_DRAIN_SECONDS="0.3", PORTAL_BATCH_SIZE="4").start()
        fake_portal.configure(delay=0.05)
        wait_until(lambda: len(fake_portal.messages) >= 8, 60, "first deliveries", worker)
        broker.stop()
        time.sleep(1.5)  # tasks already in the worker's hands finish
        stalled_at = len(fake_portal.messages)
        time.sleep(1.5)
        worker.supervise()
        assert len(fake_portal.messages) == stalled_at < 40  # no broker, no progress; nothing lost either
        assert pending() > 0
        broker = start_redis()  # empty: every queued task message died with the old one
        wait_until(lambda: pending() == 0, 90, "delivery after Redis came back", worker)
        worker.stop()
        assert_receiver_has_exactly_one_copy_in_order(fake_portal)
    finally:
        broker.stop()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_portal_answering_500_then_recovering(worker_factory, fake_portal, demo, media_root):
    make_history(6, steps=2)  # 18 events
    fake_portal.configure(fail_next=4)
    worker = worker_factory(PORTAL_MAX_ATTEMPTS="10").start()
    wait_until(lambda: pending() == 0, 60, "delivery after the 500s", worker)
    worker.stop()
    assert fake_portal.stats()["refused_requests"] == 4
    assert OutboxMessage.objects.filter(attempts__gt=1).exists()
    assert_receiver_has_exactly_one_copy_in_order(fake_portal)


def test_portal_down_past_max_attempts_then_replayed(worker_factory, fake_portal, demo, media_root, api):
    dossiers = make_history(4, steps=2)  # 12 events, 3 per dossier
    fake_portal.configure(mode="error", error_status=503)
    worker = worker_factory(PORTAL_RETRY_BASE_SECONDS="0.1").start()
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD)
    wait_until(lambda: dead.count() == len(dossiers), 60, "rows parked dead", worker)
    time.sleep(1)  # the later rows of each dossier stay behind the dead one, untried
    assert dead.count() == len(dossiers)
    assert set(OutboxMessage.objects.filter(status="pending").values_list("attempts", flat=True)) == {0}
    assert len(fake_portal.messages) == 0
    health = api.get("/api/v1/portal/health/").json()
    assert (health["status"], health["dead"], health["pending"]) == ("degraded", 4, 8)
    fake_portal.configure(mode="ok")
    assert outbox_replay() == 4
    wait_until(lambda: pending() == 0, 60, "delivery after the replay", worker)
    worker.stop()
    assert_receiver_has_exactly_one_copy_in_order(fake_portal)
