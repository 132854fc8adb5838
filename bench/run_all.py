"""Every benchmark under bench/, one after the other, then one table: figure, target, measured, ratio.

    .venv/bin/python bench/run_all.py            # quick sizes (make bench): well under 10 minutes on 2 cores
    .venv/bin/python bench/run_all.py --full     # full sizes (make bench-full), writes bench/RESULTS.md

Each bench runs in its own process with ``BENCH_RESULTS`` naming a JSON-lines file; the benches
append their figures there (``bench/_common.record``). A bench that fails to set up (exit 2) or
crashes is listed under the table with the tail of its output. Exit status 0 when every bench ran
and every target was met, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import PYTHON, ROOT

RESULTS_MD = ROOT / "bench" / "RESULTS.md"

# name, script, quick arguments, full arguments (a bench may run more than once at full size).
BENCHES: list[tuple[str, str, list[list[str]], list[list[str]]]] = [
    ("calendar", "calendar_bench.py", [["--quick"]], [[]]),
    ("receipt", "receipt_bench.py", [["--quick"]], [[]]),
    ("intake", "intake_bench.py", [["--quick"]], [[]]),
    ("outbox", "outbox_bench.py", [["--quick"]], [[]]),
    ("slow_clients", "slow_clients_bench.py", [["--quick"]], [[]]),
    ("stats", "stats_bench.py", [["--quick", "--export-rows", "100000"]],
     [[], ["--dossiers", "12250000", "--repeat", "20", "--no-export"]]),
]


def run(script: str, arguments: list[str], results: Path, log: Path, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    env = {**os.environ, "BENCH_RESULTS": str(results), "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        try:
            code = subprocess.run([PYTHON, str(ROOT / "bench" / script), *arguments], cwd=ROOT, env=env,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            code = -1
    return code, time.monotonic() - started


def fmt(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def table(figures: list[dict]) -> list[str]:
    """Markdown table; ratio = measured / target (≤ 1 meets a 'lower is better' target, ≥ 1 the others)."""
    lines = ["| bench | figure | target | measured | ratio | met |", "|---|---|---|---|---|---|"]
    for f in figures:
        sign = "≤" if f["lower_is_better"] else "≥"
        ratio = f["measured"] / f["target"] if f["target"] else float("nan")
        note = f" ({f['note']})" if f.get("note") else ""
        lines.append(f"| {f['bench']} | {f['figure']}{note} | {sign} {fmt(f['target'])} {f['unit']} | "
                     f"{fmt(f['measured'])} {f['unit']} | {ratio:.2f} | {'yes' if f['met'] else '**no**'} |")
    return lines


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    try:
        pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
                            capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        pg = "?"
    return (f"{os.cpu_count()} × {cpu}, {mem_kb / 1024 / 1024:.0f} GiB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, PostgreSQL {pg or '?'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="full sizes (stats at 1 M and 12.25 M dossiers: ~20 min)")
    parser.add_argument("--only", nargs="*", choices=[b[0] for b in BENCHES], help="run only these benches")
    parser.add_argument("--record", action="store_true", help="write the table to bench/RESULTS.md (default "
                        "with --full)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per bench run (default 900 quick, "
                        "5400 full)")
    args = parser.parse_args(argv)
    timeout = args.timeout or (5400.0 if args.full else 900.0)
    work = Path(tempfile.mkdtemp(prefix="onestop-bench-all-"))
    results = work / "figures.jsonl"
    results.touch()
    failures: list[str] = []
    started = time.monotonic()
    for name, script, quick, full in BENCHES:
        if args.only and name not in args.only:
            continue
        for i, arguments in enumerate(full if args.full else quick):
            log = work / f"{name}-{i}.log"
            print(f"-> {name}: {script} {' '.join(arguments)}", flush=True)
            code, elapsed = run(script, arguments, results, log, timeout)
            print(f"   exit {code} after {elapsed:.0f} s (log {log})", flush=True)
            if code not in (0, 1):  # 1 = ran, a target or check missed: the table shows which
                tail = "\n      ".join(log.read_text(errors="replace").splitlines()[-15:])
                failures.append(f"{name} {' '.join(arguments)}: exit {code}\n      {tail}")
            elif code == 1:
                checks = [line for line in log.read_text(errors="replace").splitlines()
                          if "FAIL" in line or line.startswith(("!", "  - "))]
                if checks:
                    failures.append(f"{name} {' '.join(arguments)}: " + "; ".join(c.strip() for c in checks[:5]))
    figures = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    lines = table(figures)
    total = time.monotonic() - started
    print()
    print("\n".join(lines))
    print(f"\n{len(figures)} figures, {sum(not f['met'] for f in figures)} targets missed, {total / 60:.1f} min "
          f"({'full' if args.full else 'quick'} sizes)")
    for failure in failures:
        print(f"! {failure}")
    if args.record or (args.full and not args.only):
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        RESULTS_MD.write_text(
            "# Benchmark results\n\n"
            f"Last {'full' if args.full else 'quick'} run: `.venv/bin/python bench/run_all.py"
            f"{' --full' if args.full else ''}` on {stamp}, {total / 60:.0f} min.\n\n"
            f"Machine: {machine()}. Client, server and PostgreSQL share the machine.\n\n"
            + "\n".join(lines) + "\n\n"
            "ratio = measured / target: a 'lower is better' target (≤) is met at ratio ≤ 1, the others (≥) at "
            "ratio ≥ 1.\n"
            + ("".join(f"\n- {f.splitlines()[0]}" for f in failures) + "\n" if failures else ""),
            encoding="utf-8")
        print(f"written {RESULTS_MD.relative_to(ROOT)}")
    return 0 if not failures and all(f["met"] for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
