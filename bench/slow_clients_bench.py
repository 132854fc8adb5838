"""Slow clients against the production web stack (issue 14, item 9).

    .venv/bin/python bench/slow_clients_bench.py [--slow-clients 64] [--seconds 20] [--quick]

One run, everything on 127.0.0.1:
1. creates a fresh PostgreSQL database (``onestop_bench_slow``), migrates it and loads the demo data;
2. starts the production web stack (bench/web_stack.py): gunicorn with docker-compose.yml's command
   line (4 sync workers) and production settings, behind Debian's nginx with
   deploy/nginx/onestop.conf.template, on free ports;
3. times normal ``GET agencies/`` requests for ``--seconds``: first alone (baseline), then while
   ``--slow-clients`` connections trickle request bodies at one byte per second and as many again
   trickle request headers;
4. does the same against gunicorn alone (no nginx: the set-up the outside test took down) for a few
   seconds, to show what nginx is for;
5. records the figures (target: every normal request answered, p99 and max below 1 s behind nginx),
   stops everything and drops the database.

Exit status: 0 all targets met, 1 a target missed, 2 the setup failed (PostgreSQL, nginx missing).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time

from _common import (
    HOST,
    BenchError,
    add_pg_arguments,
    django_env,
    manage,
    percentile,
    record,
    recreate_database,
)
from web_stack import ProbeResult, WebStack, nginx_binary, probe, run_slow_clients

TARGET_MS = 1000.0


def describe(label: str, result: ProbeResult) -> str:
    lat = result.latencies_ms
    if not lat:
        return f"{label}: {result.sent} requests, none answered ({result.failures[:1]})"
    return (f"{label}: {result.sent} requests, {len(lat)} answered {dict(result.statuses)}, "
            f"{len(result.failures)} unanswered; p50 {percentile(lat, 0.5):.1f} ms, "
            f"p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow-clients", type=int, default=64, help="slow-body clients, and as many slow-header "
                        "clients (default 64)")
    parser.add_argument("--seconds", type=float, default=20.0, help="probing time behind nginx (default 20)")
    parser.add_argument("--control-seconds", type=float, default=6.0, help="probing time against gunicorn alone "
                        "(default 6; 0 skips it)")
    parser.add_argument("--quick", action="store_true", help="8 s behind nginx, 4 s against gunicorn alone")
    add_pg_arguments(parser, "onestop_bench_slow")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.control_seconds = 8.0, 4.0
    if not 1 <= args.slow_clients <= 1000 or not 1 <= args.seconds <= 600:
        parser.error("--slow-clients 1..1000, --seconds 1..600")
    if args.pg_host not in (HOST, "localhost"):
        parser.error("the benchmark only talks to a local PostgreSQL (127.0.0.1)")
    if not args.db.startswith("onestop_bench"):
        parser.error("--db must start with onestop_bench (it is dropped at the end)")
    if nginx_binary() is None:
        print("nginx is not installed (Debian: apt-get install nginx); .ci/run installs it", file=sys.stderr)
        return 2

    media_root = tempfile.mkdtemp(prefix="onestop-bench-media-")
    created = False
    missed: list[str] = []
    try:
        t0 = time.perf_counter()
        recreate_database(args)
        created = True
        env = django_env(args, MEDIA_ROOT=media_root, DB_CONN_MAX_AGE="600")
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo", "--no-tokens")
        print(f"setup: database {args.db} migrated and loaded in {time.perf_counter() - t0:.1f} s")

        with WebStack(env) as stack:
            print(f"stack: nginx {HOST}:{stack.nginx_port} -> gunicorn {HOST}:{stack.gunicorn_port} "
                  f"(docker-compose.yml's command, production settings)")
            probe(stack.port, seconds=1.0)  # warm every worker
            baseline = probe(stack.port, seconds=min(args.seconds, 5.0))
            print(describe("  baseline, no slow clients", baseline))
            run = run_slow_clients(stack.port, body_clients=args.slow_clients, header_clients=args.slow_clients,
                                   seconds=args.seconds)
            print(describe(f"  with {run.body_clients} slow-body + {run.header_clients} slow-header clients "
                           f"({run.connected} connected, {run.reopened} closed by nginx and reopened)", run.result))
        loaded = run.result
        answered_ok = loaded.statuses.get(200, 0)
        p99 = percentile(loaded.latencies_ms, 0.99) if loaded.latencies_ms else float("inf")
        worst = max(loaded.latencies_ms) if loaded.latencies_ms else float("inf")
        share = answered_ok / loaded.sent if loaded.sent else 0.0
        clients = f"{args.slow_clients}+{args.slow_clients} slow clients"
        checks = [
            record("slow_clients", f"GET agencies/ p99 behind nginx, {clients}", p99, TARGET_MS, "ms",
                   lower_is_better=True),
            record("slow_clients", f"GET agencies/ max behind nginx, {clients}", worst, TARGET_MS, "ms",
                   lower_is_better=True),
            record("slow_clients", f"normal requests answered 200 behind nginx, {clients}", share * 100, 100.0, "%",
                   lower_is_better=False, note=f"{answered_ok} of {loaded.sent}"),
        ]
        if not all(checks):
            missed.append("behind nginx, a normal request waited 1 s or more, or was not answered 200")

        if args.control_seconds > 0:
            with WebStack(env, nginx=False) as bare:
                probe(bare.port, seconds=1.0)
                control = run_slow_clients(bare.port, body_clients=args.slow_clients,
                                           header_clients=args.slow_clients, seconds=args.control_seconds,
                                           timeout=3.0)
            print(describe("  control, gunicorn alone (no nginx), same slow clients, 3 s timeout", control.result))
    except BenchError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if created:
            try:
                recreate_database(args, drop_only=True)
            except BenchError as exc:
                print(f"! could not drop {args.db}: {exc}", file=sys.stderr)
        shutil.rmtree(media_root, ignore_errors=True)
    for line in missed:
        print(f"FAIL {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
