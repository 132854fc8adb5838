"""The production web stack on loopback, and the slow clients that took a bare gunicorn down.

`WebStack`: gunicorn started with docker-compose.yml's own command line (sync workers) and the
production settings, behind Debian's nginx running deploy/nginx/onestop.conf.template exactly as
docker-compose.yml uses it (or, with ``nginx=False``, gunicorn alone: the set-up that failed).
Free loopback ports, a temporary directory for nginx's configuration, pid, logs and request
buffers; `stop()` ends both process groups (ours alone).

`run_slow_clients`: N connections trickling request bodies at one byte per second, N more trickling
request headers, while a prober sends normal requests and times them (issue 14, item 9).

Used by bench/slow_clients_bench.py and by the tests (tests/security/test_slow_clients.py,
tests/portal/test_signed_target.py). Standard library plus PyYAML (already a dependency).
"""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported as bench.web_stack

from _common import HOST, ROOT, BenchError, free_port, start_gunicorn, stop_gunicorn, wait_until_serving

NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "onestop.conf.template"
COMPOSE_FILE = ROOT / "docker-compose.yml"
TEMPLATE_VARIABLES = ("ONESTOP_UPSTREAM", "NGINX_PORT", "UPLOAD_MAX_REQUEST_BYTES")

# What Debian's /etc/nginx/nginx.conf gives the server block in the nginx image (deploy/nginx/Dockerfile),
# with every path inside our own directory.
MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    default_type application/octet-stream;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/onestop.conf;
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def render_server_block(*, upstream: str, listen: str, max_body: int) -> str:
    """deploy/nginx/onestop.conf.template with its variables filled in, as deploy/nginx/start.sh does."""
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    values = {"ONESTOP_UPSTREAM": upstream, "NGINX_PORT": listen, "UPLOAD_MAX_REQUEST_BYTES": str(max_body)}
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    leftover = re.findall(r"\$\{(\w+)\}", text)
    if leftover:
        raise BenchError(f"{NGINX_TEMPLATE.name} uses variables nobody sets: {sorted(set(leftover))}")
    return text


def compose_gunicorn_arguments() -> list[str]:
    """The web service's gunicorn options from docker-compose.yml (its config file included), without
    the application and the bind address: the stack passes its own (a command-line bind wins)."""
    import yaml

    command = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]["web"]["command"]
    if command[:1] != ["gunicorn"] or "config.wsgi:application" not in command:
        raise BenchError(f"docker-compose.yml's web command does not run gunicorn config.wsgi:application: {command}")
    arguments: list[str] = []
    options = iter(command[1:])
    for option in options:
        if option in ("--bind", "-b"):
            next(options, None)
        elif not option.startswith("--bind=") and option != "config.wsgi:application":
            arguments.append(option)
    return arguments


def default_max_body() -> int:
    """UPLOAD_MAX_REQUEST_BYTES as docker-compose.yml passes it to nginx (its default)."""
    import yaml

    value = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))["services"]["nginx"]["environment"][
        "UPLOAD_MAX_REQUEST_BYTES"]
    found = re.fullmatch(r"\$\{UPLOAD_MAX_REQUEST_BYTES:-(\d+)\}", str(value))
    if not found:
        raise BenchError(f"docker-compose.yml: nginx's UPLOAD_MAX_REQUEST_BYTES is {value!r}")
    return int(found.group(1))


@dataclass
class WebStack:
    """`with WebStack(env) as stack:` then talk HTTP to 127.0.0.1:`stack.port` (nginx, or gunicorn alone)."""

    env: dict[str, str]
    nginx: bool = True
    max_body: int | None = None
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="onestop-web-stack-")))
    gunicorn_port: int = 0
    nginx_port: int = 0
    _gunicorn: subprocess.Popen | None = None
    _nginx: subprocess.Popen | None = None

    @property
    def port(self) -> int:
        return self.nginx_port if self.nginx else self.gunicorn_port

    @property
    def gunicorn_log(self) -> Path:
        return self.work / "gunicorn.log"

    def start(self) -> WebStack:
        try:
            self.gunicorn_port = free_port()
            env = {**self.env, "UPLOAD_MAX_REQUEST_BYTES": str(self.max_body or default_max_body())}
            self._gunicorn = start_gunicorn(env, 0, self.gunicorn_port, self.gunicorn_log,
                                            arguments=compose_gunicorn_arguments())
            wait_until_serving(self._gunicorn, self.gunicorn_port, self.gunicorn_log)
            if self.nginx:
                self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nginx(self) -> None:
        binary = nginx_binary()
        if binary is None:
            raise BenchError("nginx is not installed (Debian: apt-get install nginx)")
        self.nginx_port = free_port()
        os.chmod(self.work, 0o755)  # nginx's workers (nobody, when started as root) use the buffer directories
        (self.work / "onestop.conf").write_text(render_server_block(
            upstream=f"{HOST}:{self.gunicorn_port}", listen=f"{HOST}:{self.nginx_port}",
            max_body=self.max_body or default_max_body()), encoding="utf-8")
        (self.work / "nginx.conf").write_text(MAIN_CONF.format(work=self.work), encoding="utf-8")
        log = self.work / "nginx-error.log"
        self._nginx = subprocess.Popen(
            [binary, "-p", str(self.work), "-c", str(self.work / "nginx.conf"), "-e", str(log)],
            stdout=subprocess.DEVNULL, stderr=open(self.work / "nginx-stderr.log", "wb"), start_new_session=True,
        )
        wait_until_serving(self._nginx, self.nginx_port, log, timeout=30)

    def stop(self) -> None:
        if self._nginx is not None and self._nginx.poll() is None:
            try:
                os.killpg(self._nginx.pid, signal.SIGTERM)
                self._nginx.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._nginx.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._nginx = None
        stop_gunicorn(self._gunicorn)
        self._gunicorn = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self) -> WebStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()


# --- slow clients --------------------------------------------------------------------------------


class Trickler:
    """`count` connections, each sending one byte every `interval` seconds and never finishing:
    ``kind="body"`` sends a complete header promising a body of `body_length` bytes, then the body;
    ``kind="header"`` sends a request line, then a header that never ends. One thread drives them
    all; a connection the server closes (a timeout, say) is opened again, so the pressure stays."""

    def __init__(self, port: int, count: int, kind: str, *, interval: float = 1.0, body_length: int = 10_000,
                 path: str = "/api/v1/auth/token/") -> None:
        if kind not in ("body", "header"):
            raise ValueError(kind)
        self.port, self.count, self.kind, self.interval = port, count, kind, interval
        self.body_length, self.path = body_length, path
        self.opened = self.reopened = self.bytes_sent = 0
        self._sockets: list[socket.socket | None] = [None] * count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"trickle-{kind}", daemon=True)

    def _head(self) -> bytes:
        if self.kind == "body":
            return (f"POST {self.path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {self.body_length}\r\n\r\n").encode()
        return f"GET /api/v1/agencies/ HTTP/1.1\r\nHost: {HOST}\r\nX-Slow: ".encode()

    def _open(self, index: int) -> None:
        try:
            sock = socket.create_connection((HOST, self.port), timeout=2)
            sock.sendall(self._head())
            sock.setblocking(False)
        except OSError:
            self._sockets[index] = None
            return
        self._sockets[index] = sock
        self.opened += 1

    def _run(self) -> None:
        for index in range(self.count):
            if self._stop.is_set():
                return
            self._open(index)
        while not self._stop.wait(self.interval):
            for index, sock in enumerate(self._sockets):
                if sock is not None:
                    try:
                        sent = sock.send(b"a")
                        self.bytes_sent += sent
                        if sent:
                            continue
                    except BlockingIOError:
                        continue  # the server is not reading (a bare gunicorn's backlog): still holding it
                    except OSError:
                        pass
                    sock.close()
                self.reopened += 1
                self._open(index)

    def start(self) -> Trickler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        for sock in self._sockets:
            if sock is not None:
                sock.close()

    @property
    def connected(self) -> int:
        return sum(sock is not None for sock in self._sockets)


@dataclass
class ProbeResult:
    latencies_ms: list[float] = field(default_factory=list)  # answered requests
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # no answer within the timeout, or an error

    @property
    def sent(self) -> int:
        return len(self.latencies_ms) + len(self.failures)


def probe(port: int, *, seconds: float, path: str = "/api/v1/agencies/", interval: float = 0.2,
          timeout: float = 5.0) -> ProbeResult:
    """Normal requests, one after the other, for `seconds`; each timed from connect to the last byte."""
    result = ProbeResult()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            conn.close()
        except (OSError, http.client.HTTPException) as exc:
            result.failures.append(f"{type(exc).__name__}: {exc}"[:200])
        else:
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
        time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return result


@dataclass
class SlowClientRun:
    result: ProbeResult
    body_clients: int
    header_clients: int
    connected: int  # slow connections open when the probing started
    reopened: int  # slow connections the server closed (and we opened again) meanwhile


def run_slow_clients(port: int, *, body_clients: int = 64, header_clients: int = 64, seconds: float = 10.0,
                     settle: float = 2.0, timeout: float = 5.0, path: str = "/api/v1/agencies/") -> SlowClientRun:
    """Start the slow clients, let them settle (all connected, a byte or two sent), probe, stop them."""
    tricklers = [Trickler(port, body_clients, "body").start(), Trickler(port, header_clients, "header").start()]
    try:
        time.sleep(settle)
        connected = sum(t.connected for t in tricklers)
        result = probe(port, seconds=seconds, timeout=timeout, path=path)
        return SlowClientRun(result, body_clients, header_clients, connected, sum(t.reopened for t in tricklers))
    finally:
        for trickler in tricklers:
            trickler.stop()
