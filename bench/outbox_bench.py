"""Outbox delivery benchmark: pending events drained by real Celery workers into the fake portal.

    .venv/bin/python bench/outbox_bench.py [--events 100000] [--batch-size 200] [--quick]
                                           [--adapter webhook|dvcqg|both]

One run, everything on 127.0.0.1:
1. creates a fresh PostgreSQL database (``onestop_outbox_bench``), migrates it, loads the demo data;
2. writes N dossier events with their outbox rows (bulk SQL, not through the API: this measures
   delivery, not intake): N / 4 dossiers spread over the demo offerings, 4 events each, the events of
   different dossiers interleaved at random as in a live office; payloads are the real
   DongBoHoSoMC shape (~1.3 kB of JSON each);
3. for each adapter (default both): starts its fake portal on a free loopback port — the signed
   webhook's (bench/fake_portal.py, checking every signature) or the one speaking the portal's own
   protocol (bench/fake_portal_dvcqg.py: session login, DongBoHoSoMC + CapNhatTienDoHoSoMC);
4. phase "1 worker": one ``celery -A config worker --pool solo`` process drains everything; the
   clock runs from the first drain task sent until no row is pending; then every row is put back to
   pending and phase "2 workers" does the same with two worker processes (SKIP LOCKED in parallel);
5. checks the receiver holds each event exactly once, no dossier's events arrived out of order, and
   every row is marked delivered; prints events/s per phase and adapter; drops the database.

Batching assumptions: the webhook takes a signed batch of messages in one POST and answers per
message (apps/portal/transport.py); the portal's protocol takes a batch of records per
DongBoHoSoMC call and of progress entries per CapNhatTienDoHoSoMC call, judged per record
(apps/portal/dvcqg/transport.py). A batch never holds two events of one dossier. The target is
>= 2,000 events/s for each adapter. Exit status: 0 all checks passed and the targets met, 1
otherwise, 2 setup failed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from _common import ROOT, BenchError, add_pg_arguments, django_env, manage, record, recreate_database

sys.path.insert(0, str(ROOT))
CELERY = str(ROOT / ".venv" / "bin" / "celery")
TARGET = 2000.0
KEY_ID, SECRET = "onestop-bench", "bench-secret-0123456789"
ACTIONS = (
    ("register", "", "received"), ("assign", "received", "in_progress"),
    ("request_payment", "in_progress", "awaiting_payment"), ("confirm_payment", "awaiting_payment", "in_progress"),
)


def base_env(args) -> dict[str, str]:
    return django_env(args, CELERY_BROKER_URL=args.broker)


def generate(events: int, per_dossier: int, seed: int) -> int:
    """Dossiers, their events and outbox rows, straight into the tables (bulk inserts)."""
    from django.utils import timezone

    from apps.catalog.models import Offering
    from apps.dossiers.models import Dossier, DossierEvent
    from apps.portal.models import OutboxMessage
    from apps.portal.payloads import dossier_sync_payload

    rng = random.Random(seed)
    offerings = list(Offering.objects.select_related("agency", "procedure", "procedure__field"))
    now = timezone.now()
    count = events // per_dossier
    dossiers = []
    for i in range(count):
        offering = offerings[i % len(offerings)]
        dossiers.append(Dossier(
            code=f"{offering.agency.code}-250301-{i:06d}", procedure=offering.procedure,
            receiving_agency=offering.agency, agency=offering.agency, online_level=offering.online_level,
            service_class=offering.service_class, processing_days=offering.effective_processing_days, channel="counter",
            status="in_progress",
            applicant_type="citizen", applicant_name=f"Nguyễn Văn {i}", applicant_id_number=f"001{i:09d}",
            submitted_at=now, received_at=now, due_at=now + timedelta(days=10), appointment_at=now + timedelta(days=10),
        ))
    for start in range(0, count, 5000):
        Dossier.objects.bulk_create(dossiers[start:start + 5000])
    order = [d for d in range(count) for _ in range(per_dossier)]
    rng.shuffle(order)  # interleaved; each dossier's own events keep their order below
    step = [0] * count
    rows = []
    for index in order:
        action, before, after = ACTIONS[step[index] % len(ACTIONS)]
        step[index] += 1
        rows.append(DossierEvent(dossier=dossiers[index], action=action, from_status=before, to_status=after,
                                 actor_role="clerk", agency=dossiers[index].agency, at=now,
                                 payload={"note": "bench"}))
    for start in range(0, len(rows), 5000):
        chunk = rows[start:start + 5000]
        DossierEvent.objects.bulk_create(chunk)
        OutboxMessage.objects.bulk_create([
            OutboxMessage(event=e, dossier=e.dossier, payload=dossier_sync_payload(e.dossier, e)) for e in chunk
        ])
    return len(rows)


def reset_outbox() -> None:
    from django.db import connection

    from apps.portal.models import OutboxMessage

    OutboxMessage.objects.update(status="pending", attempts=0, next_attempt_at=None, delivered_at=None,
                                 last_error="")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {OutboxMessage._meta.db_table}")


def pending() -> int:
    from apps.portal.models import OutboxMessage

    return OutboxMessage.objects.filter(status="pending").count()


def start_workers(n: int, env: dict[str, str], log_dir: Path) -> list[subprocess.Popen]:
    workers = []
    for i in range(n):
        log = log_dir / f"worker-{n}-{i}.log"
        with open(log, "wb") as out:
            workers.append(subprocess.Popen(
                [CELERY, "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO", "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "-n", f"bench{i}-{uuid.uuid4().hex[:6]}@%h"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            ))
    deadline = time.monotonic() + 60
    for i in range(n):
        log = log_dir / f"worker-{n}-{i}.log"
        while b" ready." not in log.read_bytes():
            if time.monotonic() > deadline or workers[i].poll() is not None:
                for worker in workers:  # none outlives the bench (they would drain the next run's queue)
                    worker.kill()
                raise BenchError(f"worker {i} did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    import signal

    for process in workers:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in workers:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def run_phase(n: int, total: int, args, env: dict[str, str], portal, log_dir: Path) -> dict:
    import redis

    from config.celery import app

    reset_outbox()
    portal.reset()
    redis.Redis.from_url(args.broker).flushdb()  # the broker, also the workers' cache (the portal session)
    workers = start_workers(n, env, log_dir)
    try:
        started = time.monotonic()
        last_kick = 0.0
        while True:
            left = pending()
            if left == 0:
                break
            if time.monotonic() - started > args.max_seconds:
                raise BenchError(f"{n} worker(s): {left} rows still pending after {args.max_seconds:.0f} s")
            if time.monotonic() - last_kick > 1.0:  # what beat does every PORTAL_DRAIN_SECONDS
                for _ in range(n):
                    app.send_task("portal.drain_outbox", expires=2)
                last_kick = time.monotonic()
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        stop_workers(workers)
    stats = portal.stats()
    return {"workers": n, "events": total, "seconds": elapsed, "rate": total / elapsed, **stats}



def check(total: int, portal) -> list[str]:
    from apps.dossiers.models import DossierEvent
    from apps.portal.models import OutboxMessage

    problems = []
    expected = {str(i) for i in DossierEvent.objects.values_list("id", flat=True)}
    if set(portal.messages) != expected:
        problems.append(f"receiver holds {len(portal.messages)} distinct events, expected {len(expected)}")
    if portal.order_violations:
        problems.append(f"{len(portal.order_violations)} events arrived after a later event of their dossier")
    if portal.bad_signatures:
        problems.append(f"{portal.bad_signatures} requests with a bad signature")
    undelivered = OutboxMessage.objects.exclude(status="delivered").count()
    if undelivered:
        problems.append(f"{undelivered} rows not marked delivered")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="pending events (default 100000)")
    parser.add_argument("--quick", action="store_true", help="10000 events (overrides --events)")
    parser.add_argument("--per-dossier", type=int, default=4, help="events per dossier (default 4)")
    parser.add_argument("--batch-size", type=int, default=200, help="messages per POST (default 200)")
    parser.add_argument("--max-seconds", type=float, default=600, help="time cap per phase (default 600)")
    add_pg_arguments(parser, "onestop_outbox_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/11",
                        help="Celery broker, also the workers' cache (flushed!)")
    parser.add_argument("--adapter", choices=["webhook", "dvcqg", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    events = 10_000 if args.quick else args.events
    log_dir = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    env = base_env(args)
    portal = None
    try:
        print(f"database {args.db}: create, migrate, demo data", flush=True)
        recreate_database(args)
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo", "--no-tokens")
        os.environ.update(env)
        import django

        django.setup()
        t0 = time.monotonic()
        total = generate(events, args.per_dossier, args.seed)
        print(f"generated {total} pending events ({total // args.per_dossier} dossiers) in "
              f"{time.monotonic() - t0:.1f} s", flush=True)
        from bench.fake_portal import FakePortal
        from bench.fake_portal_dvcqg import FakeDvcqgPortal

        adapters = ["webhook", "dvcqg"] if args.adapter == "both" else [args.adapter]
        # LOG_LEVEL INFO: start_workers waits for Celery's "ready." line, an INFO message (django_env's
        # WARNING hid it, and every worker "did not start").
        common = {**env, "LOG_LEVEL": "INFO", "REDIS_URL": args.broker, "CACHE_URL": args.broker,
                  "PORTAL_BATCH_SIZE": str(args.batch_size),
                  "PORTAL_TIMEOUT": "30", "PORTAL_DRAIN_BUDGET_SECONDS": str(args.max_seconds)}
        results, problems, bests = [], [], {}
        for adapter in adapters:
            if adapter == "webhook":
                portal = FakePortal(key_id=KEY_ID, secret=SECRET).start()
                worker_env = {**common, "PORTAL_TRANSPORT": "webhook", "PORTAL_SYNC_URL": portal.url,
                              "PORTAL_KEY_ID": KEY_ID, "PORTAL_SECRET": SECRET}
            else:
                portal = FakeDvcqgPortal().start()
                worker_env = {**common, **portal.settings(), "PORTAL_SYNC_URL": ""}
            try:
                for workers in (1, 2):
                    result = {"adapter": adapter, **run_phase(workers, total, args, worker_env, portal, log_dir)}
                    results.append(result)
                    problems += [f"{adapter}, {workers} worker(s): {p}" for p in check(total, portal)]
                    print(f"  {adapter}, {workers} worker(s): {result['rate']:,.0f} events/s", flush=True)
            finally:
                portal.stop()
                portal = None
            bests[adapter] = max(r["rate"] for r in results if r["adapter"] == adapter)
        print()
        print(f"{'adapter':>8} {'workers':>7} {'events':>8} {'seconds':>8} {'events/s':>9} {'POSTs':>6} {'dup':>4} "
              f"{'order!':>6}")
        for r in results:
            print(f"{r['adapter']:>8} {r['workers']:>7} {r['events']:>8} {r['seconds']:>8.1f} {r['rate']:>9,.0f} "
                  f"{r['requests']:>6} {r['duplicates']:>4} {r['order_violations']:>6}")
        labels = {"webhook": "portal sync drain, events/s (best of 1-2 workers)",
                  "dvcqg": "portal sync drain, portal protocol (DongBoHoSoMC), events/s (best of 1-2 workers)"}
        for adapter, best in bests.items():
            record("outbox", labels[adapter], best, TARGET, "events/s", lower_is_better=False,
                   note=f"{total:,} events")
        print(f"\nbatch size {args.batch_size}, {args.per_dossier} events per dossier; target >= {TARGET:,.0f} "
              "events/s per adapter: " + ", ".join(
                  f"{a} {'met' if b >= TARGET else 'NOT met'} (best {b:,.0f})" for a, b in bests.items()))
        for problem in problems:
            print(f"! {problem}")
        print(json.dumps({"results": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}
                                      for r in results]}))
        return 0 if not problems and all(b >= TARGET for b in bests.values()) else 1
    except BenchError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if portal is not None:
            portal.stop()
        if not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:
                pass
            try:
                recreate_database(args, drop_only=True)
            except BenchError:
                pass
        shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
