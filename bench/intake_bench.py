"""Intake benchmark: online submissions through the real HTTP stack vs the raw-SQL limit.

    .venv/bin/python bench/intake_bench.py [--requests 2000] [--concurrency 16] [--workers 4] [--quick]

One run, everything on 127.0.0.1:
1. creates a fresh PostgreSQL database (``onestop_bench``), migrates it and loads the demo data;
2. counts the SQL statements one submission costs (Django test client + CaptureQueriesContext);
3. starts gunicorn (sync workers) on a free port and sends N multipart submissions (two or three
   small PDFs each) from ``--concurrency`` client threads, spread over the procedures and agencies
   that accept online filing and over the demo applicants; reports dossiers/s and p50/p95/p99;
4. checks every answer was 201, the database holds N dossiers and the codes are gapless;
5. measures the raw-SQL limit of the same writes with psycopg on ``--concurrency`` connections,
   one transaction per dossier: upsert the code counter, insert the dossier, its event and an
   outbox-shaped row (json payload) — statement by statement, and once more as one CTE statement;
6. prints a table (API ≥ 30 % of raw is the target), stops gunicorn and drops the database.

Exit status: 0 all checks passed, 1 a check failed, 2 PostgreSQL (or the setup) was unusable.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from _common import (
    HOST,
    BenchError,
    add_pg_arguments,
    django_env,
    free_port,
    manage,
    percentile,
    pg_connect,
    record,
    recreate_database,
    start_gunicorn,
    stop_gunicorn,
    wait_until_serving,
)

TARGET_RATIO = 0.30
VN = ZoneInfo("Asia/Ho_Chi_Minh")

# (procedure, agency, required document codes): every offering of the demo catalogue at level 3/4.
TARGETS: list[tuple[str, str, tuple[str, ...]]] = [
    ("2.000488", "000.00.17.H29", ("TKLLTP", "CCCD")),
    ("2.001610", "000.00.12.H29", ("GDN", "CCCD")),
    ("1.001193", "000.31.01.H29", ("TKKS", "GCS")),
    ("1.000894", "000.31.01.H29", ("TKKH", "XNTTHN")),
    ("1.000894", "000.32.01.H29", ("TKKH", "XNTTHN")),
    ("1.009994", "000.00.31.H29", ("DDN", "GCNQSDD", "BVTK")),
    ("1.009994", "000.00.32.H29", ("DDN", "GCNQSDD", "BVTK")),
]
APPLICANTS = ("citizen1", "citizen2", "business1")
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n"


# --- setup -------------------------------------------------------------------------------------


def redis_reachable(url: str) -> bool:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def bench_env(args: argparse.Namespace, media_root: str) -> dict[str, str]:
    cache_url = args.cache_url if redis_reachable(args.cache_url) else "locmem://"
    if cache_url == "locmem://":
        print(f"! Redis not reachable at {args.cache_url}: the web processes use a local-memory cache")
    return django_env(
        args,
        CACHE_URL=cache_url,
        CACHE_KEY_PREFIX=f"onestop-bench-{uuid.uuid4().hex[:8]}",  # nothing cached by an earlier run is read
        REDIS_URL=args.cache_url,
        MEDIA_ROOT=media_root,
        DB_CONN_MAX_AGE="600",
        # The bench measures intake, not the per-client submission limit (3 applicants send thousands).
        THROTTLE_SUBMISSION="1000000/min",
    )


# The run outlives one access token (15 min at most): these are stretched here, for the bench only.
MINT_TOKENS = """
import json
from datetime import timedelta
from apps.accounts.models import User
from apps.accounts.tokens import token_for
def access(username):
    token = token_for(User.objects.get(username=username)).access_token
    token.set_exp(lifetime=timedelta(hours=4))
    return str(token)
print(json.dumps({u: access(u) for u in %r}))
"""

# One submission in-process, every SQL statement captured (the bench database, demo data).
COUNT_QUERIES = """
import json
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from apps.accounts.models import User

PDF = %r
def submit(client, n):
    data = {"payload": json.dumps({"agency": "000.00.17.H29", "procedure": "2.000488"})}
    for code in ("TKLLTP", "CCCD"):
        data[code] = SimpleUploadedFile(code + ".pdf", PDF + b"%%" + str(n).encode() + code.encode() + b"\\n",
                                        content_type="application/pdf")
    return client.post("/api/v1/dossiers/", data, format="multipart")

client = APIClient(SERVER_NAME="127.0.0.1")
client.force_authenticate(User.objects.get(username="citizen1"))
submit(client, 0)  # warm: calendar, catalogue caches, connection
with CaptureQueriesContext(connection) as warm:
    response = submit(client, 1)
assert response.status_code == 201, response.content
print(json.dumps({"queries": len(warm), "sql": [q["sql"][:160] for q in warm.captured_queries]}))
"""


# --- the API load ------------------------------------------------------------------------------


def multipart_body(payload: dict, documents: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="payload"\r\n'
        f"Content-Type: application/json; charset=utf-8\r\n\r\n".encode()
        + json.dumps(payload, ensure_ascii=False).encode()
        + b"\r\n"
    ]
    for code, content in documents.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{code}"; filename="{code}.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Submission:
    body: bytes
    content_type: str
    token: str
    key: str  # Idempotency-Key, unique per submission


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    sent: int = 0


def build_submissions(count: int, tokens: dict[str, str], seed: int, label: str) -> list[Submission]:
    rng = random.Random(seed)
    items = []
    for n in range(count):
        procedure, agency, docs = TARGETS[n % len(TARGETS)]
        username = APPLICANTS[rng.randrange(len(APPLICANTS))]
        payload = {
            "agency": agency,
            "procedure": procedure,
            "form_data": {"so_ban": rng.randint(1, 3), "ghi_chu": "Nộp trực tuyến (benchmark)", "n": n},
        }
        # Distinct content per file, as real scans are: every checksum differs.
        documents = {code: PDF + f"%bench {n} {code} {rng.random()}\n%%EOF\n".encode() for code in docs}
        body, content_type = multipart_body(payload, documents)
        items.append(Submission(body, content_type, tokens[username], f"bench-{label}-{n}"))
    return items


def run_load(
    port: int, submissions: list[Submission], concurrency: int, max_seconds: float, with_keys: bool = True
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    cursor = iter(range(len(submissions)))
    deadline = time.monotonic() + max_seconds
    barrier = threading.Barrier(concurrency + 1)

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        latencies: list[float] = []
        statuses: Counter = Counter()
        errors: list[str] = []
        barrier.wait()
        while time.monotonic() < deadline:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            item = submissions[index]
            headers = {
                "Content-Type": item.content_type,
                "Authorization": f"Bearer {item.token}",
                "Connection": "keep-alive",
            }
            if with_keys:
                headers["Idempotency-Key"] = item.key
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/dossiers/", body=item.body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()  # reconnects on the next request
                status, data = 0, repr(exc).encode()
            latencies.append(time.perf_counter() - started)
            statuses[status] += 1
            if status != 201 and len(errors) < 5:
                errors.append(f"{status}: {data[:300].decode(errors='replace')}")
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.errors.extend(errors)

    threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    result.sent = len(result.latencies)
    return result


def check_database(args: argparse.Namespace, expected: int) -> list[str]:
    """N dossiers, N events, each code's sequence gapless per (agency, day)."""
    problems = []
    with pg_connect(args, args.db) as conn:
        dossiers = conn.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM dossiers_dossierevent").fetchone()[0]
        groups = conn.execute(
            "SELECT split_part(code, '-', 1) || '-' || split_part(code, '-', 2), count(*), "
            "max(split_part(code, '-', 3)::int) FROM dossiers_dossier GROUP BY 1"
        ).fetchall()
    if dossiers != expected:
        problems.append(f"database holds {dossiers} dossiers, expected {expected}")
    if events != dossiers:
        problems.append(f"{events} events for {dossiers} dossiers")
    for prefix, count, top in groups:
        if count != top:
            problems.append(f"codes of {prefix}: {count} dossiers but the last number is {top} (gap)")
    return problems


# --- the raw-SQL limit -------------------------------------------------------------------------

OUTBOX_DDL = """
CREATE TABLE IF NOT EXISTS bench_outbox (
    id bigserial PRIMARY KEY,
    dossier_id bigint NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
UPSERT_COUNTER = (
    "INSERT INTO dossiers_codecounter (agency_id, day, last_value) VALUES (%(agency)s, %(day)s, 1) "
    "ON CONFLICT (agency_id, day) DO UPDATE SET last_value = dossiers_codecounter.last_value + 1 "
    "RETURNING last_value"
)
INSERT_DOSSIER = """
INSERT INTO dossiers_dossier (
    code, procedure_id, receiving_agency_id, agency_id, online_level, processing_days, channel, status, version,
    applicant_id, applicant_type, applicant_name, applicant_id_number, applicant_phone, applicant_email,
    applicant_address, form_data, submitted_at, timeliness, rejected_at_intake, result, result_note,
    payment_method, updated_at)
VALUES (%(code)s, %(procedure)s, %(agency)s, %(agency)s, %(level)s, %(days)s, 'online', 'submitted', 1,
    %(applicant)s, 'citizen', %(name)s, %(id_number)s, '', '', '', %(form)s, %(now)s, '', false, '', '', '',
    %(now)s)
RETURNING id
"""
INSERT_EVENT = (
    "INSERT INTO dossiers_dossierevent (dossier_id, action, from_status, to_status, actor_id, actor_role, "
    "agency_id, at, payload) VALUES (%(dossier)s, 'submit', '', 'submitted', %(applicant)s, 'applicant', "
    "%(agency)s, %(now)s, %(event)s)"
)
INSERT_OUTBOX = "INSERT INTO bench_outbox (dossier_id, kind, payload) VALUES (%(dossier)s, 'DongBoHoSoMC', %(sync)s)"
# The same four writes in one statement (one round trip + commit).
ONE_STATEMENT = f"""
WITH c AS ({UPSERT_COUNTER}),
d AS ({INSERT_DOSSIER.replace("%(code)s", "%(prefix)s || lpad((SELECT last_value FROM c)::text, 4, '0')")}),
e AS (INSERT INTO dossiers_dossierevent (dossier_id, action, from_status, to_status, actor_id, actor_role,
        agency_id, at, payload)
      SELECT id, 'submit', '', 'submitted', %(applicant)s, 'applicant', %(agency)s, %(now)s, %(event)s FROM d)
INSERT INTO bench_outbox (dossier_id, kind, payload) SELECT id, 'DongBoHoSoMC', %(sync)s FROM d
"""


def raw_catalogue(conn) -> list[dict]:
    rows = []
    for procedure, agency, _ in TARGETS:
        found = conn.execute(
            "SELECT a.id, a.code, p.id, o.online_level, coalesce(o.processing_days, p.processing_days) "
            "FROM catalog_offering o JOIN agencies_agency a ON a.id = o.agency_id "
            "JOIN catalog_procedure p ON p.id = o.procedure_id WHERE a.code = %s AND p.code = %s",
            [agency, procedure],
        ).fetchone()
        if found is None:
            raise BenchError(f"offering {procedure} at {agency} missing from the demo catalogue")
        rows.append({"agency": found[0], "agency_code": found[1], "procedure": found[2], "procedure_code": procedure,
                     "level": found[3], "days": found[4]})
    return rows


def run_raw(args: argparse.Namespace, count: int, concurrency: int, one_statement: bool, max_seconds: float):
    from psycopg.types.json import Jsonb

    with pg_connect(args, args.db, autocommit=True) as conn:
        conn.execute(OUTBOX_DDL)
        offerings = raw_catalogue(conn)
        applicant = conn.execute("SELECT id FROM accounts_user WHERE username = 'citizen1'").fetchone()[0]
    lock = threading.Lock()
    cursor = iter(range(count))
    done = [0]
    failures: list[str] = []
    deadline = time.monotonic() + max_seconds
    barrier = threading.Barrier(concurrency + 1)

    def worker() -> None:
        conn = pg_connect(args, args.db)
        finished = 0
        barrier.wait()
        try:
            while time.monotonic() < deadline:
                with lock:
                    n = next(cursor, None)
                if n is None:
                    break
                offering = offerings[n % len(offerings)]
                now = datetime.now(VN)
                day = now.date()
                values = {
                    "agency": offering["agency"], "procedure": offering["procedure"], "level": offering["level"],
                    "days": offering["days"], "applicant": applicant, "name": "Nguyễn Thị Minh Khai",
                    "id_number": "001190012345", "now": now, "day": day,
                    "prefix": f"{offering['agency_code']}-{day:%y%m%d}-",
                    "form": Jsonb({"so_ban": 1, "ghi_chu": "Nộp trực tuyến (benchmark)", "n": n}),
                    "event": Jsonb({"channel": "online"}),
                }
                sync = {"MaTTHC": offering["procedure_code"], "DonViXuLy": offering["agency_code"],
                        "TrangThaiHoSo": "1", "NgayTiepNhan": now.strftime("%Y%m%d%H%M%S")}
                try:
                    with conn.transaction():
                        if one_statement:
                            conn.execute(ONE_STATEMENT, {**values, "sync": Jsonb(sync)})
                        else:
                            sequence = conn.execute(UPSERT_COUNTER, values).fetchone()[0]
                            values["code"] = f"{values['prefix']}{sequence:04d}"
                            dossier = conn.execute(INSERT_DOSSIER, values).fetchone()[0]
                            conn.execute(INSERT_EVENT, {**values, "dossier": dossier})
                            conn.execute(INSERT_OUTBOX, {"dossier": dossier, "sync": Jsonb({**sync,
                                                                                           "MaHoSo": values["code"]})})
                    finished += 1
                except Exception as exc:
                    with lock:
                        if len(failures) < 5:
                            failures.append(repr(exc))
        finally:
            conn.close()
            with lock:
                done[0] += finished

    threads = [threading.Thread(target=worker, name=f"raw-{i}") for i in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return done[0], elapsed, failures


# --- report ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="submissions through the API (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads / raw connections (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    parser.add_argument("--quick", action="store_true", help="300 requests (overrides --requests)")
    parser.add_argument("--raw-requests", type=int, default=None, help="raw-SQL dossiers (default: = requests)")
    parser.add_argument("--max-seconds", type=float, default=300, help="time cap per load phase (default 300)")
    add_pg_arguments(parser, "onestop_bench")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one submission")
    parser.add_argument("--no-idempotency-key", action="store_true",
                        help="send no Idempotency-Key (each key costs an INSERT and an UPDATE)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = 300
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 64 or not 1 <= args.workers <= 32:
        parser.error("--requests 1..100000, --concurrency 1..64, --workers 1..32")
    if args.pg_host not in (HOST, "localhost"):
        parser.error("the benchmark only talks to a local PostgreSQL (127.0.0.1)")
    if not args.db.startswith("onestop_bench"):
        parser.error("--db must start with onestop_bench (it is dropped at the end)")
    raw_count = args.raw_requests or args.requests

    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("psycopg is not installed; run with .venv/bin/python", file=sys.stderr)
        return 2

    media_root = tempfile.mkdtemp(prefix="onestop-bench-media-")
    work = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
    gunicorn: subprocess.Popen | None = None
    created = False
    try:
        t0 = time.perf_counter()
        recreate_database(args)
        created = True
        env = bench_env(args, media_root)
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo", "--no-tokens")
        tokens = json.loads(manage(env, "shell", "-c", MINT_TOKENS % (APPLICANTS,)).strip().splitlines()[-1])
        counted = json.loads(manage(env, "shell", "-c", COUNT_QUERIES % (PDF,)).strip().splitlines()[-1])
        # The two in-process submissions are not part of the load: start from a clean intake state.
        with pg_connect(args, args.db, autocommit=True) as conn:
            conn.execute("TRUNCATE dossiers_dossierdocument, dossiers_idempotencyrecord, dossiers_dossierevent, "
                         "dossiers_dossier, dossiers_codecounter CASCADE")
        shutil.rmtree(media_root, ignore_errors=True)
        os.makedirs(media_root, exist_ok=True)
        print(f"setup: database {args.db} migrated and loaded in {time.perf_counter() - t0:.1f} s; "
              f"{counted['queries']} SQL statements per submission (warm, authentication excluded)")
        if args.show_sql:
            for number, statement in enumerate(counted["sql"], 1):
                print(f"  {number:>2}. {statement}")

        submissions = build_submissions(args.requests, tokens, args.seed, "load")
        port = free_port()
        log_path = work / "gunicorn.log"
        gunicorn = start_gunicorn(env, args.workers, port, log_path)
        wait_until_serving(gunicorn, port, log_path)
        # Warm every worker (imports, connections, calendar) without counting it.
        warm = run_load(port, build_submissions(args.workers * 4, tokens, args.seed + 1, "warm"), args.workers, 60)
        if warm.statuses.get(201, 0) != warm.sent:
            raise BenchError(f"warm-up submissions failed: {dict(warm.statuses)} {warm.errors[:2]}")
        print(f"api: {args.requests} submissions, {args.concurrency} client threads, "
              f"{args.workers} gunicorn workers on {HOST}:{port}"
              f"{'' if args.no_idempotency_key else ', each with an Idempotency-Key'} ...")
        load = run_load(port, submissions, args.concurrency, args.max_seconds, not args.no_idempotency_key)
        stop_gunicorn(gunicorn)
        gunicorn = None

        problems = []
        if load.sent < args.requests:
            problems.append(f"only {load.sent} of {args.requests} submissions sent within {args.max_seconds:.0f} s")
        if load.statuses.get(201, 0) != load.sent:
            problems.append(f"not every answer was 201: {dict(load.statuses)}")
            problems.extend(f"  {e}" for e in load.errors)
        problems.extend(check_database(args, load.statuses.get(201, 0) + warm.sent))
        stored_files = sum(1 for p in Path(media_root).rglob("*") if p.is_file())
        with pg_connect(args, args.db) as conn:
            documents = conn.execute("SELECT count(*) FROM dossiers_dossierdocument").fetchone()[0]
        if documents != stored_files:
            problems.append(f"{documents} document rows but {stored_files} files on disk")

        print(f"raw SQL: {raw_count} dossiers on {args.concurrency} connections (4 statements, then 1 CTE) ...")
        raw_done, raw_elapsed, raw_failures = run_raw(args, raw_count, args.concurrency, False, args.max_seconds)
        cte_done, cte_elapsed, cte_failures = run_raw(args, raw_count, args.concurrency, True, args.max_seconds)
        for label, failures in (("raw", raw_failures), ("raw CTE", cte_failures)):
            if failures:
                problems.append(f"{label} transactions failed: {failures}")

        api_rate = load.sent / load.elapsed if load.elapsed else 0.0
        raw_rate = raw_done / raw_elapsed if raw_elapsed else 0.0
        cte_rate = cte_done / cte_elapsed if cte_elapsed else 0.0
        ratio = api_rate / raw_rate if raw_rate else 0.0
        ms = [x * 1000 for x in load.latencies]
        print()
        print(f"{'metric':<34}{'value':>12}")
        print("-" * 46)
        rows = [
            ("API dossiers/s", f"{api_rate:.1f}"),
            ("API latency p50 (ms)", f"{percentile(ms, 0.50):.1f}"),
            ("API latency p95 (ms)", f"{percentile(ms, 0.95):.1f}"),
            ("API latency p99 (ms)", f"{percentile(ms, 0.99):.1f}"),
            ("API latency mean (ms)", f"{statistics.fmean(ms):.1f}" if ms else "nan"),
            ("SQL statements per submission", str(counted["queries"])),
            ("files stored", str(stored_files)),
            ("raw SQL dossiers/s (4 statements)", f"{raw_rate:.1f}"),
            ("raw SQL dossiers/s (1 statement)", f"{cte_rate:.1f}"),
            ("API / raw (target >= 30%)", f"{ratio:.0%}"),
            ("API / raw 1-statement", f"{api_rate / cte_rate:.0%}" if cte_rate else "nan"),
        ]
        for name, value in rows:
            print(f"{name:<34}{value:>12}")
        print("-" * 46)
        print(f"(N={load.sent} API in {load.elapsed:.1f} s, {raw_done} raw in {raw_elapsed:.1f} s, "
              f"{cte_done} CTE in {cte_elapsed:.1f} s; {os.cpu_count()} CPUs, client and server share them)")
        record("intake", "API intake / raw SQL intake rate", ratio, TARGET_RATIO, "ratio", lower_is_better=False,
               note=f"API {api_rate:.0f}/s vs raw {raw_rate:.0f}/s, {load.sent} submissions")
        record("intake", "SQL statements per submission", counted["queries"], 3, "statements", lower_is_better=True,
               note="DESIGN §11 aims for <= 3")
        if ratio < TARGET_RATIO:
            print(f"! API reaches {ratio:.0%} of the raw-SQL rate, below the {TARGET_RATIO:.0%} target")
        if problems:
            print("\nFAILED checks:")
            for problem in problems:
                print(f"  - {problem}")
            return 1
        print("checks: every answer 201, dossier count, one event each, gapless codes, one file per document: OK")
        return 0
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        stop_gunicorn(gunicorn)
        if created:
            try:
                recreate_database(args, drop_only=True)
            except BenchError as exc:
                print(f"bench: could not drop {args.db}: {exc}", file=sys.stderr)
        shutil.rmtree(media_root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
