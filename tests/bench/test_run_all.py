"""`make bench` runs every bench script and prints one table from the figures they record."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def test_every_bench_script_is_run_by_make_bench():
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    listed = {script for _name, script, _quick, _full in run_all.BENCHES}
    scripts = {p.name for p in BENCH.glob("*_bench.py")}
    assert listed == scripts
    for script in scripts:  # each one reports its figures into the shared table
        assert "record(" in (BENCH / script).read_text(encoding="utf-8"), script


def test_run_all_prints_one_table_with_target_and_ratio():
    done = subprocess.run([sys.executable, str(BENCH / "run_all.py"), "--only", "calendar"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| calendar |")]
    assert len(rows) == 2
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1].startswith("add_working_time")
    assert cells[2] == "≤ 5.0 µs"
    measured = float(cells[3].split()[0])
    assert 0 < measured < 1000
    assert abs(float(cells[4]) - measured / 5.0) < 0.011  # the ratio is measured / target
    assert cells[5] in ("yes", "**no**")
