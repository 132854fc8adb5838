"""gunicorn settings (`gunicorn -c config/gunicorn.py config.wsgi:application`): Prometheus
multiprocess mode, so /metrics, whichever worker answers it, sums the request metrics of all.

Each worker writes its counters to files in PROMETHEUS_MULTIPROC_DIR (a fresh temporary folder
unless set); the folder is emptied when the server starts (stale files of an earlier run would be
counted again) and a worker's live-only files are dropped when it exits.
"""
import glob
import os
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Sync workers: measured against threaded (gthread) and uvicorn (ASGI) workers by
# bench/intake_bench.py on a quiet machine, sync and gthread filed as many dossiers per second
# (within noise), sync at half gthread's p95 latency; uvicorn a quarter (issue 19, README
# "Worker model"). Slow clients are nginx's job (it buffers whole requests and responses), not the
# workers'. GUNICORN_WORKER_CLASS=gthread with GUNICORN_THREADS=n switches.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
accesslog = None  # apps.ops logs one line per request (JSON with LOG_FORMAT=json)


def on_starting(server) -> None:
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        path = tempfile.mkdtemp(prefix="onestop-prometheus-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path  # inherited by every worker forked from here
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
