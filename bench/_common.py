"""What every bench shares: a throw-away PostgreSQL database, `manage.py` in a subprocess, the
Django environment of a bench process, percentiles, and the figures each bench records.

Figures: a bench calls ``record(...)`` for each measured figure that has a target; when the
environment names a results file (``BENCH_RESULTS``, set by ``bench/run_all.py``) the figure is
appended to it as one JSON line, so ``make bench`` can print one table over every bench.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
HOST = "127.0.0.1"
RESULTS_ENV = "BENCH_RESULTS"


class BenchError(Exception):
    """A setup step failed; the message says which and why."""


# --- PostgreSQL --------------------------------------------------------------------------------


def add_pg_arguments(parser, default_db: str) -> None:
    parser.add_argument("--db", default=default_db, help=f"database created and dropped (default {default_db})")
    parser.add_argument("--pg-host", default=HOST)
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")


def pg_dsn(args, dbname: str) -> str:
    return f"host={args.pg_host} port={args.pg_port} user={args.pg_user} dbname={dbname} connect_timeout=5"


def pg_connect(args, dbname: str, **kwargs):
    import psycopg

    try:
        return psycopg.connect(pg_dsn(args, dbname), **kwargs)
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"PostgreSQL is unreachable at {args.pg_user}@{args.pg_host}:{args.pg_port} ({str(exc).strip()})"
        ) from exc


def recreate_database(args, *, drop_only: bool = False) -> None:
    from psycopg import sql

    with pg_connect(args, "postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))


def database_exists(args) -> bool:
    with pg_connect(args, "postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.db]).fetchone() is not None


# --- Django in subprocesses --------------------------------------------------------------------


def django_env(args, **overrides: str) -> dict[str, str]:
    """The production settings pointed at the bench database; no cache or TLS settings of the
    caller's shell leak in (the benches talk plain HTTP on loopback)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DATABASE_", "CACHE_", "PORTAL_", "THROTTLE_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.db}",
        SECRET_KEY="bench-only-" + "x" * 50,
        DEBUG="false",
        CACHE_URL="locmem://",
        ALLOWED_HOSTS=f"testserver,{HOST},localhost",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *command: str, timeout: float = 600) -> str:
    try:
        done = subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"manage.py {command[0]} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise BenchError(f"manage.py {command[0]} failed:\n{done.stderr.strip()[-2000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# --- gunicorn ----------------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], workers: int, port: int, log_path: Path,
                   arguments: list[str] | None = None) -> subprocess.Popen:
    """gunicorn in its own session (so `stop_gunicorn` ends it and its workers); `arguments` replace
    the bench defaults after the bind address."""
    if arguments is None:
        arguments = ["-w", str(workers), "--timeout", "60", "--graceful-timeout", "5", "--log-level", "warning",
                     "--backlog", "2048"]
    with open(log_path, "wb") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [GUNICORN, "config.wsgi:application", "-b", f"{HOST}:{port}", *arguments],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )


def wait_until_serving(process: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/v1/bench-ping/")
            if conn.getresponse().status == 404:  # the API's problem-JSON catch-all: Django is up
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass


# --- figures -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_calls(fn, repeat: int, budget: float) -> list[float]:
    """Milliseconds of `repeat` calls after one warm-up (plans, caches, pages in memory); fewer, but
    at least 3, once `budget` seconds have passed."""
    import time

    fn()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat:
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - started > budget and len(times) >= 3:
            break
    return times


def record(bench: str, figure: str, measured: float, target: float, unit: str, *, lower_is_better: bool,
           note: str = "") -> bool:
    """Append one figure to the run's results file (if any); True when the target is met."""
    met = measured <= target if lower_is_better else measured >= target
    path = os.environ.get(RESULTS_ENV)
    if path:
        line = {"bench": bench, "figure": figure, "measured": measured, "target": target, "unit": unit,
                "lower_is_better": lower_is_better, "met": met, "note": note}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return met
