"""Real outages for tests, on loopback only and never touching the shared servers.

- `own_redis()`: a redis-server of our own on a free port (temporary directory, no persistence), to
  stop or flush at will; the shared Redis on 6379 is never stopped or flushed.
- `closed_port()`: a loopback port nothing listens on (connection refused at once).
- `silent_port()`: a loopback port that accepts connections into its backlog and never answers (a
  hung server: only a socket timeout gets a client out).
- `cache_at(settings, url)`: the default cache pointed at `url` for one test.
- `database_unreachable()`: the default database connection pointed at a closed port for the body
  of the `with` (needs a test without a wrapping transaction: `transactional_db`).
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@contextmanager
def closed_port() -> Iterator[int]:
    """A port bound (so nobody else takes it) but not listening: connecting is refused."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        yield s.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        s.listen(16)  # the kernel completes handshakes; nobody ever reads or answers
        yield s.getsockname()[1]


class OwnRedis:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="onestop-test-redis-")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("our own redis-server did not start")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def answers(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # our own child, by its pid
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    try:
        yield server
    finally:
        server.stop()


def cache_at(settings, url: str) -> None:
    """Point the default cache at `url` (the `settings` fixture restores it after the test)."""
    caches = {alias: dict(conf) for alias, conf in settings.CACHES.items()}
    caches["default"] = {
        **caches["default"],
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1.0, "SOCKET_TIMEOUT": 1.0},
    }
    settings.CACHES = caches  # Django drops its cache connections on this change


@contextmanager
def database_unreachable() -> Iterator[None]:
    from django.db import connection

    connection.close()
    saved = {key: connection.settings_dict.get(key) for key in ("HOST", "PORT")}
    with closed_port() as port:
        connection.settings_dict.update(HOST=LOOPBACK, PORT=str(port))
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.update(saved)
