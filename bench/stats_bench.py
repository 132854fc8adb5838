"""Statistics benchmark: a large synthetic history, then summary / breakdown latency and export RSS.

    .venv/bin/python bench/stats_bench.py [--dossiers 1000000] [--quick] [--keep] [--repeat 30]
    .venv/bin/python bench/stats_bench.py --dossiers 12250000      # HCMC scale

One run, everything on 127.0.0.1:
1. creates a fresh database ``onestop_stats_bench``, migrates it, and builds a province: a root,
   35 departments, 20 districts with 16 communes each, ~1,800 procedures in 40 fields (online
   levels 2-4) and their offerings;
2. loads N dossiers over 9 months (2025-01-01 .. 2025-09-30) with COPY from worker processes
   (secondary indexes and foreign keys are detached during the load and rebuilt after), skewed
   over agencies and procedures (Zipf-like), ~40 % online, mostly resolved/returned with an
   early/on-time/late mix, some pending and overdue, a few rejected or withdrawn;
3. fills the statistics counters straight from the dossiers with one INSERT .. SELECT .. GROUP BY
   per worker, applying the rules of ``onestop.indicators.deltas_for_event`` (the last office hour
   is left as uncompacted delta rows, as a running system has), then VACUUM ANALYZE;
4. spot-checks ``stats_summary`` against direct counts over ``dossiers_dossier`` (one district
   and the whole province, one month);
5. times ``stats_summary`` and ``stats_breakdown(by="month")`` for the whole province and for the
   busiest district subtree, over 3 and 9 months; explains where the time goes;
6. streams the CSV export (GET /api/v1/dossiers/export.csv) of >= 1 M rows in a subprocess as a
   province supervisor and reports its peak RSS;
7. drops the database (unless --keep).

Targets: summary p95 <= 50 ms (at 12.25 M dossiers, flat from 1 M); export peak RSS <= 200 MB.
Exit status: 0 all targets and checks passed, 1 a target or check failed, 2 setup failed.
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing import get_context
from typing import Any
from urllib.parse import quote

from _common import (
    HOST,
    PYTHON,
    ROOT,
    BenchError,
    add_pg_arguments,
    database_exists,
    django_env,
    manage,
    percentile,
    pg_connect,
    pg_dsn,
    record,
    recreate_database,
    time_calls,
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TZ = "Asia/Ho_Chi_Minh"
START = date(2025, 1, 1)  # first local day of the history
END = date(2025, 10, 1)  # the day after the last one: "now" is 2025-10-01 00:00 local
DELTA_TAIL_FROM = "2025-09-30 16:00:00+07"  # events from here on stay uncompacted (stats_statdelta)
NO_DUE_DAY = "1900-01-01"
SUMMARY_TARGET_MS = 50.0
EXPORT_TARGET_MB = 200.0
PROVINCE_CODE = "H29"

# 2025 public holidays (New Year, Tết 25 Jan - 2 Feb, Hùng Kings, 30/4-1/5 bridge, National Day),
# and the early 2026 ones a far due day may reach.
HOLIDAYS = frozenset(
    [date(2025, 1, 1), *(date(2025, 1, 25) + timedelta(days=k) for k in range(9)), date(2025, 4, 7),
     date(2025, 4, 30), date(2025, 5, 1), date(2025, 5, 2), date(2025, 9, 1), date(2025, 9, 2),
     date(2026, 1, 1), *(date(2026, 2, 14) + timedelta(days=k) for k in range(9))]
)
MONTH_FACTOR = {1: 1.05, 2: 0.9, 3: 1.0, 4: 0.95, 5: 1.0, 6: 1.05, 7: 1.1, 8: 1.05, 9: 1.0}
WEEKEND_WEIGHT = 0.1  # online filings on non-working days, relative to a working day

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
          "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Gia", "Hoài", "Thị Thu", "Văn Hoàng")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Khánh", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến")
STREETS = ("Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt", "Điện Biên Phủ",
           "Cách Mạng Tháng Tám", "Võ Văn Tần", "Nguyễn Trãi", "Phan Đình Phùng")
VERBS = ("Cấp giấy chứng nhận", "Đăng ký", "Cấp đổi", "Cấp lại", "Điều chỉnh", "Gia hạn", "Thẩm định",
         "Xác nhận", "Cấp phép", "Chứng thực", "Thông báo", "Giải quyết")
OBJECTS = ("quyền sử dụng đất", "hộ kinh doanh", "khai sinh", "giấy phép xây dựng", "kết hôn",
           "chứng chỉ hành nghề", "giấy phép kinh doanh vận tải", "an toàn thực phẩm", "hộ tịch",
           "thay đổi nội dung đăng ký doanh nghiệp", "biến động đất đai", "bản sao từ bản chính",
           "cư trú", "giấy phép lao động", "thành lập trường mầm non", "hoạt động khoáng sản")

COPY_COLUMNS = (
    "id, code, procedure_id, receiving_agency_id, agency_id, online_level, service_class, processing_days, channel, "
    "status, "
    "version, applicant_type, applicant_name, applicant_id_number, applicant_birth_date, applicant_phone, "
    "applicant_email, applicant_address, form_data, submitted_at, received_at, due_at, appointment_at, "
    "resolved_at, returned_at, closed_at, timeliness, rejected_at_intake, result, result_note, fee_amount, "
    "payment_method, paid_at, updated_at"
)


@dataclass
class Detached:
    """Secondary indexes, unique constraints and foreign keys taken off a table for a bulk load."""

    table: str
    foreign_keys: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)
    uniques: list[tuple[str, str]] = field(default_factory=list)  # (constraint name, index definition)
    indexes: list[tuple[str, str]] = field(default_factory=list)  # (name, definition)


def detach(conn, table: str) -> Detached:
    """Drop everything but the primary key (other tables' foreign keys point at it)."""
    d = Detached(table)
    d.foreign_keys = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'f' ORDER BY conname", [table]).fetchall()
    d.uniques = conn.execute(
        "SELECT conname, pg_get_indexdef(conindid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'u' ORDER BY conname", [table]).fetchall()
    d.indexes = conn.execute(
        "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY c.relname",
        [table]).fetchall()
    for name, _ in d.foreign_keys + d.uniques:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in d.indexes:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    return d


def reattach(args: argparse.Namespace, detached: list[Detached], workers: int) -> None:
    """Rebuild indexes (several at once: CREATE INDEX takes a SHARE lock), then the constraints."""
    jobs = [definition for d in detached for _, definition in d.indexes + d.uniques]
    jobs.sort(key=lambda s: (" gin " not in s.lower(), "dossiers_dossier" not in s))  # the slowest first

    def build(definition: str) -> None:
        with pg_connect(args, args.db, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute("SET max_parallel_maintenance_workers = 0")
            conn.execute(definition)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(build, jobs))
    with pg_connect(args, args.db, autocommit=True) as conn:
        for d in detached:
            for name, _ in d.uniques:
                conn.execute(f'ALTER TABLE {d.table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"')
            for name, definition in d.foreign_keys:  # validated: every row is checked once
                conn.execute(f'ALTER TABLE {d.table} ADD CONSTRAINT "{name}" {definition}')


# --- calendar ----------------------------------------------------------------------------------


@dataclass
class Calendar:
    """Local days from START: strings, working flags, and positions among working days."""

    days: list[str]  # "2025-01-01"
    yymmdd: list[str]
    working: list[bool]
    wdays: list[int]  # indices of working days
    next_wpos: list[int]  # index -> position in wdays of the first working day on or after it
    end: int  # index of END
    minutes: list[str]  # minute of day -> " HH:MM:SS+07"


def make_calendar() -> Calendar:
    span = (END - START).days + 500
    days, yymmdd, working, wdays = [], [], [], []
    for i in range(span):
        d = START + timedelta(days=i)
        days.append(d.isoformat())
        yymmdd.append(f"{d:%y%m%d}")
        work = d.weekday() < 5 and d not in HOLIDAYS
        working.append(work)
        if work:
            wdays.append(i)
    next_wpos, pos = [0] * span, len(wdays)
    for i in range(span - 1, -1, -1):
        if working[i]:
            pos -= 1
        next_wpos[i] = min(pos, len(wdays) - 1)
    minutes = [f" {m // 60:02d}:{m % 60:02d}:{(m * 7) % 60:02d}+07" for m in range(1440)]
    return Calendar(days, yymmdd, working, wdays, next_wpos, (END - START).days, minutes)


# --- catalogue ---------------------------------------------------------------------------------


@dataclass
class Catalogue:
    agencies: list[dict[str, Any]]  # id, code, tier, parent, weight, offers: [(procedure id, level, days, fee)]
    procedures: int
    fields: int
    offerings: int

    def district_subtrees(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for a in self.agencies:
            if a["tier"] == "district":
                out[a["id"]] = [a["id"]]
        for a in self.agencies:
            if a["tier"] == "commune":
                out[a["parent"]].append(a["id"])
        return out


def _zipf(n: int, s: float, rng: random.Random) -> list[float]:
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1.0 / r**s for r in ranks]



def service_class_of(level: int) -> str:
    """The synthetic catalogue's Decree 42/2022 class (recorded per offering, not derived, in real
    data; here level 4 ~ full, level 3 ~ partial, as the decree's rough equivalence)."""
    return {4: "full", 3: "partial"}.get(level, "none")


def offering_class(agency_id: int, procedure_id: int, level: int) -> str:
    """An offering's class: its level's (service_class_of), except one level-4 offering in eight
    that is only partly online (payment or result in person), as real catalogues have; so the
    counters' class splits a level and the class dimension costs what it would. Deterministic (no
    draw from the generator: the rest of the data set stays the same)."""
    if level == 4 and (agency_id * 31 + procedure_id) % 8 == 0:
        return "partial"
    return service_class_of(level)

def build_catalogue(conn, rng: random.Random) -> Catalogue:
    # Agencies: id, code, name, tier, path, parent.
    agencies: list[dict[str, Any]] = []

    def add(code: str, name: str, tier: str, parent: dict | None) -> dict:
        a = {"id": len(agencies) + 1, "code": code, "name": name, "tier": tier,
             "parent": parent["id"] if parent else None,
             "path": (parent["path"] if parent else "/") + code + "/", "weight": 0.0, "offers": []}
        agencies.append(a)
        return a

    root = add(PROVINCE_CODE, "UBND tỉnh (bench)", "province", None)
    departments = [add(f"000.00.{k:02d}.{PROVINCE_CODE}", f"Sở {k:02d}", "province", root) for k in range(1, 36)]
    districts, communes = [], []
    for k in range(20):
        district = add(f"000.00.{36 + k:02d}.{PROVINCE_CODE}", f"UBND quận/huyện {36 + k}", "district", root)
        districts.append(district)
        for c in range(1, 17):
            communes.append(add(f"000.{36 + k:02d}.{c:02d}.{PROVINCE_CODE}", f"UBND phường/xã {36 + k}.{c:02d}",
                                "commune", district))

    # Fields and procedures: 24 province-level fields, 9 district-level, 7 commune-level.
    field_tiers = ["province"] * 24 + ["district"] * 9 + ["commune"] * 7
    fields = [(k + 1, f"LV{k + 1:02d}", f"Lĩnh vực {k + 1:02d} ({tier})") for k, tier in enumerate(field_tiers)]
    counts = {"province": 1100, "district": 450, "commune": 250}
    day_choices = {"province": ((5, 7, 10, 15, 20, 30), (3, 3, 4, 3, 2, 1)),
                   "district": ((1, 3, 5, 7, 10, 15, 20), (1, 2, 3, 2, 3, 2, 1)),
                   "commune": ((0, 1, 2, 3, 5, 10), (4, 2, 1, 2, 2, 1))}
    procedures: dict[str, list[tuple]] = {t: [] for t in counts}  # (id, level, days, fee, popularity)
    rows = []
    pid = 0
    for tier, n in counts.items():
        tier_fields = [f for f, t in zip(fields, field_tiers, strict=True) if t == tier]
        popularity = _zipf(n, 1.0, rng)
        values, weights = day_choices[tier]
        for k in range(n):
            pid += 1
            level = rng.choices((2, 3, 4), (25, 30, 45))[0]
            days = rng.choices(values, weights)[0]
            fee = rng.choice((0, 0, 0, 10_000, 20_000, 50_000, 100_000, 500_000))
            fld = rng.choice(tier_fields)
            prefix = {"province": 1, "district": 2, "commune": 3}[tier]
            name = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} - thủ tục {pid} ({fld[2]})"
            rows.append((pid, f"{prefix}.{pid:06d}", name, fld[0], level, days, fee))
            procedures[tier].append((pid, level, days, fee, popularity[k]))

    # Offerings: a department owns ~31 province procedures and shares ~19 more; a district offers a
    # common core of 70 plus 30 others; a commune a core of 25 plus 15 others. Levels <= catalogue.
    def offer(agency: dict, chosen: list[tuple]) -> None:
        seen = set()
        for p_id, level, days, fee, pop in chosen:
            if p_id in seen:
                continue
            seen.add(p_id)
            lvl = level if rng.random() < 0.85 else max(2, level - 1)
            agency["offers"].append((p_id, lvl, days, fee, pop * rng.lognormvariate(0, 0.5)))

    province_procs = procedures["province"][:]
    rng.shuffle(province_procs)
    for k, dep in enumerate(departments):
        owned = province_procs[k::len(departments)]
        offer(dep, owned + rng.sample(procedures["province"], 19))
    by_pop = {t: sorted(ps, key=lambda p: -p[4]) for t, ps in procedures.items()}
    for district in districts:
        offer(district, by_pop["district"][:70] + rng.sample(by_pop["district"][70:], 30))
    for commune in communes:
        offer(commune, by_pop["commune"][:25] + rng.sample(by_pop["commune"][25:], 15))

    # Traffic: departments 25 %, districts 33 %, communes 42 % (Zipf within the tier; a busy
    # district has busy communes).
    for group, share, s in ((departments, 0.25, 0.8), (districts, 0.33, 0.7)):
        weights = _zipf(len(group), s, rng)
        total = sum(weights)
        for a, w in zip(group, weights, strict=True):
            a["weight"] = share * w / total
    by_id = {a["id"]: a for a in agencies}
    raw = []
    for k, district in enumerate(districts):
        own = _zipf(16, 0.6, rng)
        for j, commune in enumerate(communes[16 * k:16 * (k + 1)]):
            raw.append(district["weight"] ** 0.6 * own[j] * rng.lognormvariate(0, 0.3))
            assert by_id[commune["parent"]] is district
    total = sum(raw)
    for commune, w in zip(communes, raw, strict=True):
        commune["weight"] = 0.42 * w / total

    with conn.cursor() as cur:
        with cur.copy("COPY agencies_agency (id, code, name, tier, path, address, phone, email, is_active, "
                      "updated_at, parent_id) FROM STDIN") as copy:
            for a in agencies:
                copy.write_row((a["id"], a["code"], a["name"], a["tier"], a["path"], "", "", "", True, "now",
                                a["parent"]))
        with cur.copy("COPY catalog_field (id, code, name) FROM STDIN") as copy:
            for f in fields:
                copy.write_row(f)
        with cur.copy("COPY catalog_procedure (id, code, name, field_id, online_level, service_class, "
                      "processing_days, fee, description, is_active, updated_at) FROM STDIN") as copy:
            for p_id, code, name, fld, level, days, fee in rows:
                copy.write_row((p_id, code, name, fld, level, service_class_of(level), days, fee, "", True, "now"))
        offerings = 0
        with cur.copy("COPY catalog_offering (agency_id, procedure_id, online_level, service_class, is_active, "
                      "updated_at) FROM STDIN") as copy:
            for a in agencies:
                for p_id, lvl, *_ in a["offers"]:
                    copy.write_row((a["id"], p_id, lvl, offering_class(a["id"], p_id, lvl), True, "now"))
                    offerings += 1
        for table in ("agencies_agency", "catalog_field", "catalog_procedure"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.commit()
    return Catalogue(agencies, len(rows), len(fields), offerings)


# --- dossier generation (worker processes) -----------------------------------------------------


def _applicants(rng: random.Random, n: int) -> list[str]:
    """Pre-rendered applicant columns: type, name, id number, birth date, phone, email, address, form."""
    out = []
    for _ in range(n):
        r = rng.random()
        street = f"{rng.randint(1, 999)} {rng.choice(STREETS)}, khu phố {rng.randint(1, 9)}"
        if r < 0.85:
            name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            birth = f"{rng.randint(1945, 2007)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            id_number, phone = f"0{rng.randint(10**10, 10**11 - 1)}", f"09{rng.randint(10**7, 10**8 - 1)}"
            out.append(f"citizen\t{name}\t{id_number}\t{birth}\t{phone}\t\t{street}\t{{}}")
        else:
            kind = "business" if r < 0.97 else "organisation"
            name = f"Công ty TNHH {rng.choice(GIVEN)} {rng.choice(OBJECTS).split()[0].title()} {rng.randint(1, 999)}"
            out.append(f"{kind}\t{name}\t{rng.randint(10**9, 10**10 - 1)}\t\\N\t028{rng.randint(10**7, 10**8 - 1)}"
                       f"\tlienhe{rng.randint(1, 99999)}@example.vn\t{street}\t{{}}")
    return out


def _dossier_chunks(spec: dict[str, Any], rows_per_chunk: int = 4000) -> Iterator[tuple[str, int]]:
    """COPY text for this worker's dossiers, day by day; yields (chunk, rows in it)."""
    rng = random.Random(spec["seed"])
    rnd, randint, expo = rng.random, rng.randint, rng.expovariate
    cal = make_calendar()
    days, yymmdd, working, wdays, next_wpos, iend, mins = (
        cal.days, cal.yymmdd, cal.working, cal.wdays, cal.next_wpos, cal.end, cal.minutes)
    n_wdays = len(wdays)
    last_wpos = next_wpos[iend] - 1  # position of the last working day before END
    applicants = _applicants(rng, 40_000)
    n_app = len(applicants) - 1

    def prepared(agencies: list[list], online_only: bool) -> tuple[list, list[float], float]:
        out, cum, total = [], [], 0.0
        for aid, code, weight, offers in agencies:
            chosen = [o for o in offers if o[1] >= 3] if online_only else offers
            if not chosen:
                continue
            ocum, otot = [], 0.0
            for o in chosen:
                otot += o[4]
                ocum.append(otot)
            # The level column is rendered with the class column after it (COPY_COLUMNS).
            rendered = [(str(o[0]), o[1], f"{o[1]}\t{offering_class(int(aid), o[0], o[1])}", o[2], f"{o[2]}.00",
                         o[3], str(o[3]) if o[3] else "\\N") for o in chosen]
            share = sum(o[4] for o in chosen) / sum(o[4] for o in offers)
            total += weight * share
            cum.append(total)
            out.append((str(aid), code, rendered, ocum, otot))
        return out, cum, total

    work_ag, work_cum, work_tot = prepared(spec["agencies"], False)
    wkend_ag, wkend_cum, wkend_tot = prepared(spec["agencies"], True)
    ids = spec["first_id"]
    stride = spec["stride"]
    null = "\\N"
    buf: list[str] = []
    for i, n_day in enumerate(spec["per_day"]):
        if not n_day:
            continue
        is_work = working[i]
        ag, cum, tot = (work_ag, work_cum, work_tot) if is_work else (wkend_ag, wkend_cum, wkend_tot)
        day_s, code_day = days[i], yymmdd[i]
        seq: dict[str, int] = {}
        for _ in range(n_day):
            aid, acode, offers, ocum, otot = ag[bisect.bisect(cum, rnd() * tot)]
            pid, level, level_s, pdays, pdays_s, fee, fee_s = offers[bisect.bisect(ocum, rnd() * otot)]
            r = rnd()
            if not is_work:
                ch = "online" if r < 0.87 else "portal"
            elif level >= 3:
                ch = "online" if r < 0.53 else "portal" if r < 0.62 else "counter" if r < 0.97 else "post"
            else:
                ch = "counter" if r < 0.95 else "post"
            n_seq = seq.get(aid, 0) + 1
            seq[aid] = n_seq
            received = due = resolved = returned = closed = paid = null
            timeliness = result = pay_method = ""
            intake_rejected, version, fee_out = "f", 1, null
            if ch == "online" or ch == "portal":
                sm = randint(360, 1379)
                sub_s = day_s + mins[sm]
                updated = sub_s
                # The next office slot after the filing: same day before 15:30, else the next morning.
                if is_work and sm < 930:
                    ri, rm = i, (sm if sm > 450 else 450) + randint(5, 90)
                else:
                    ri, rm = wdays[next_wpos[i + 1]], randint(450, 690)
                r = rnd()
                if r < 0.04:  # rejected at intake, or withdrawn before reception
                    if r < 0.03:
                        ci, cm, status, intake_rejected = ri, rm, "rejected", "t"
                    else:
                        ci, cm, status = i, min(sm + randint(5, 240), 1439), "withdrawn"
                    if ci < iend:
                        closed = days[ci] + mins[cm]
                        updated, version = closed, 2
                    else:
                        status, intake_rejected = "submitted", "f"
                    ri = -1
                elif ri >= iend:
                    status, ri = "submitted", -1
            else:
                ri, rm = i, randint(450, 1019)
                sub_s = day_s + mins[rm]
            if ri >= 0:
                received = days[ri] + mins[rm]
                wp = next_wpos[ri]
                if pdays == 0:
                    due_wp, dm = (wp if rm <= 900 else wp + 1), 1020
                else:
                    due_wp, dm = wp + pdays, rm
                due = days[wdays[due_wp]] + mins[dm]
                version = 3
                if fee:
                    fee_out = fee_s
                    paid = days[ri] + mins[rm + 5]
                    pay_method = "online" if ch != "counter" and ch != "post" and rnd() < 0.6 else "counter"
                r = rnd()
                kind = "resolve"
                if r < 0.015:
                    kind, xwp = "rejected", wp + randint(0, min(3, pdays))
                elif r < 0.025:
                    kind, xwp = "withdrawn", wp + randint(0, min(5, pdays))
                else:
                    r = rnd()
                    if r < 0.006:  # stuck: far past its due day
                        timeliness, xwp = "late", due_wp + 20 + randint(0, 120)
                    elif r < 0.62 and due_wp > wp:
                        timeliness, xwp = "early", wp + int((due_wp - wp) * rnd() ** 0.6)
                        if xwp >= due_wp:
                            xwp = due_wp - 1
                    elif r < 0.93:
                        timeliness, xwp = "on_time", due_wp
                    else:
                        timeliness, xwp = "late", due_wp + 1 + int(expo(0.3))
                if xwp >= n_wdays:
                    xwp = n_wdays - 1
                xi = wdays[xwp]
                if xi >= iend:  # not finished by the end of the history: pending
                    status = "received" if wp >= last_wpos else "in_progress"
                    timeliness = ""
                    updated = received
                else:
                    if timeliness == "on_time":
                        lo = rm if xi == ri else 450
                        xm = randint(lo, dm) if lo < dm else dm
                    elif xi == ri:
                        xm = min(rm + randint(5, 120), 1079)
                    else:
                        xm = randint(450, 1019)
                    at = days[xi] + mins[xm]
                    updated = at
                    if kind == "resolve":
                        resolved, version = at, 5
                        result = "approved" if rnd() < 0.97 else "refused"
                        ret_i = wdays[min(xwp + randint(0, 3), n_wdays - 1)]
                        if ret_i < iend and rnd() >= 0.03:
                            ret_m = randint(xm, 1079) if ret_i == xi else randint(450, 1019)
                            returned = days[ret_i] + mins[ret_m]
                            status, updated, version = "returned", returned, 6
                        else:
                            status = "resolved"
                    else:
                        closed, status, version = at, kind, 4
            ids_s = ids
            ids += stride
            buf.append(
                f"{ids_s}\t{acode}-{code_day}-{n_seq:04d}\t{pid}\t{aid}\t{aid}\t{level_s}\t{pdays_s}\t{ch}\t{status}\t"
                f"{version}\t{applicants[randint(0, n_app)]}\t{sub_s}\t{received}\t{due}\t{due}\t{resolved}\t"
                f"{returned}\t{closed}\t{timeliness}\t{intake_rejected}\t{result}\t\t{fee_out}\t{pay_method}\t"
                f"{paid}\t{updated}\n"
            )
            if len(buf) >= rows_per_chunk:
                yield "".join(buf), len(buf)
                buf = []
    if buf:
        yield "".join(buf), len(buf)


def load_worker(spec: dict[str, Any]) -> tuple[int, float]:
    """One process: generate its share of dossiers and COPY them in. Returns (rows, seconds)."""
    import psycopg

    t0 = time.perf_counter()
    rows, next_report = 0, spec["report_every"]
    with psycopg.connect(spec["dsn"]) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cur, cur.copy(f"COPY dossiers_dossier ({COPY_COLUMNS}) FROM STDIN") as copy:
            for chunk, n in _dossier_chunks(spec):
                copy.write(chunk)
                rows += n
                if rows >= next_report:
                    elapsed = time.perf_counter() - t0
                    print(f"    worker {spec['worker']}: {rows:,} rows, {rows / elapsed:,.0f}/s", flush=True)
                    next_report += spec["report_every"]
        conn.commit()
    return rows, time.perf_counter() - t0


def day_quotas(total: int, cal: Calendar) -> list[int]:
    """Dossiers filed per local day: working days weighted by month, non-working days light."""
    weights = []
    for i in range(cal.end):
        month = (START + timedelta(days=i)).month
        weights.append(MONTH_FACTOR.get(month, 1.0) * (1.0 if cal.working[i] else WEEKEND_WEIGHT))
    return _apportion(total, weights)


def _apportion(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    exact = [total * w / s for w in weights]
    out = [int(x) for x in exact]
    rest = total - sum(out)
    for k in sorted(range(len(exact)), key=lambda k: out[k] - exact[k])[:rest]:
        out[k] += 1
    return out


# --- counters ----------------------------------------------------------------------------------


def counter_select(where: str) -> str:
    """The counters each dossier's events add (onestop.indicators.deltas_for_event), one row each.

    Events generated: submit (online/portal), register/accept, resolve, reject, withdraw (before or
    after reception), confirm payment. No transfers and no supplement pauses, so the holder is
    always `agency_id` and the due day before a close is `due_at`'s.
    """
    from onestop.indicators import Metric as M

    closes = f"CASE WHEN d.status = 'rejected' THEN {M.REJECTED:d} ELSE {M.WITHDRAWN:d} END"
    intake = f"CASE WHEN d.status = 'rejected' THEN {M.REJECTED_AT_INTAKE:d} ELSE {M.WITHDRAWN_BEFORE_RECEPTION:d} END"
    resolved = (f"CASE d.timeliness WHEN 'early' THEN {M.RESOLVED_EARLY:d} WHEN 'on_time' THEN {M.RESOLVED_ON_TIME:d} "
                f"ELSE {M.RESOLVED_LATE:d} END")
    after_reception = "CASE WHEN d.received_at IS NOT NULL THEN d.closed_at END"
    return f"""
        SELECT d.agency_id, d.procedure_id, (e.ts AT TIME ZONE '{TZ}')::date AS day, d.channel,
               d.online_level AS level, d.service_class, e.metric::smallint AS metric,
               COALESCE((e.due AT TIME ZONE '{TZ}')::date, DATE '{NO_DUE_DAY}') AS due_day, e.n
        FROM dossiers_dossier d CROSS JOIN LATERAL (VALUES
            (CASE WHEN d.channel IN ('online', 'portal') THEN d.submitted_at END, {M.SUBMITTED:d},
             NULL::timestamptz, 1),
            (d.received_at, {M.RECEIVED:d}, NULL, 1),
            (d.received_at, {M.OPEN_DUE:d}, d.due_at, 1),
            (d.resolved_at, {resolved}, NULL, 1),
            (d.resolved_at, {M.OPEN_DUE:d}, d.due_at, -1),
            ({after_reception}, {closes}, NULL, 1),
            ({after_reception}, {M.OPEN_DUE:d}, d.due_at, -1),
            (CASE WHEN d.received_at IS NULL THEN d.closed_at END, {intake}, NULL, 1),
            (d.paid_at, {M.PAYMENT_CONFIRMED:d}, NULL, 1),
            (CASE WHEN d.payment_method = 'online' THEN d.paid_at END, {M.PAYMENT_ONLINE:d}, NULL, 1)
        ) AS e(ts, metric, due, n)
        WHERE e.ts IS NOT NULL AND {where}
    """


COUNTER_COLUMNS = "agency_id, procedure_id, day, channel, level, service_class, metric, due_day, n"
COARSE_TABLES = ("stats_statagencyday", "stats_statagencymonth", "stats_statagencydaydue", "stats_statbalance",
                 "stats_statonlineprocedureday", "stats_statonlineproceduremonth", "stats_statproceduremonth",
                 "stats_statprocedurebalance")


def fill_counters(args: argparse.Namespace, parts: int) -> None:
    """Rollup = every counter before the tail, summed per key (as compaction leaves it, zero sums
    included); the tail's counters stay one row per event in stats_statdelta."""

    def rollup(part: int) -> None:
        with pg_connect(args, args.db, autocommit=True) as conn:
            conn.execute("SET work_mem = '512MB'")
            conn.execute("SET synchronous_commit = off")
            where = f"e.ts < TIMESTAMPTZ '{DELTA_TAIL_FROM}' AND d.agency_id % {parts} = {part}"
            conn.execute(f"INSERT INTO stats_statrollup ({COUNTER_COLUMNS}) SELECT agency_id, procedure_id, day, "
                         f"channel, level, service_class, metric, due_day, SUM(n) FROM ({counter_select(where)}) c "
                         f"GROUP BY 1, 2, 3, 4, 5, 6, 7, 8")

    with ThreadPoolExecutor(max_workers=parts) as pool:
        list(pool.map(rollup, range(parts)))
    with pg_connect(args, args.db, autocommit=True) as conn:
        where = f"e.ts >= TIMESTAMPTZ '{DELTA_TAIL_FROM}'"
        conn.execute(f"INSERT INTO stats_statdelta ({COUNTER_COLUMNS}) SELECT {COUNTER_COLUMNS} "
                     f"FROM ({counter_select(where)}) c ORDER BY day")


# --- load --------------------------------------------------------------------------------------


def load(args: argparse.Namespace) -> Catalogue:
    t_all = time.perf_counter()
    recreate_database(args)
    env = django_env(args)
    t0 = time.perf_counter()
    manage(env, "migrate", "--noinput")
    print(f"  migrate: {time.perf_counter() - t0:.1f} s")

    rng = random.Random(args.seed)
    with pg_connect(args, args.db) as conn:
        t0 = time.perf_counter()
        catalogue = build_catalogue(conn, rng)
        tiers: dict[str, int] = {}
        for a in catalogue.agencies:
            tiers[a["tier"]] = tiers.get(a["tier"], 0) + 1
        print(f"  catalogue: {len(catalogue.agencies)} agencies {tiers}, {catalogue.fields} fields, "
              f"{catalogue.procedures} procedures, {catalogue.offerings} offerings ({time.perf_counter() - t0:.1f} s)")
        detached = [detach(conn, "dossiers_dossier"), detach(conn, "stats_statrollup")]

    # Agencies dealt to workers so that each gets about the same traffic (codes stay unique: a
    # dossier code's sequence is per agency and day, and every agency belongs to one worker).
    workers = args.workers
    shares: list[list[list]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for a in sorted(catalogue.agencies, key=lambda a: -a["weight"]):
        if a["weight"] <= 0 or not a["offers"]:
            continue
        k = loads.index(min(loads))
        shares[k].append([a["id"], a["code"], a["weight"], a["offers"]])
        loads[k] += a["weight"]
    cal = make_calendar()
    quotas = _apportion(args.dossiers, loads)
    specs = [
        {"worker": k, "seed": args.seed * 1000 + k, "agencies": shares[k], "per_day": day_quotas(quotas[k], cal),
         "first_id": k + 1, "stride": workers, "dsn": pg_dsn(args, args.db),
         "report_every": max(250_000, (args.dossiers // workers) // 4)}
        for k in range(workers)
    ]
    t0 = time.perf_counter()
    print(f"  dossiers: generating and COPYing {args.dossiers:,} rows in {workers} processes ...", flush=True)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(load_worker, specs))
    copied = sum(r for r, _ in results)
    t_copy = time.perf_counter() - t0
    print(f"  dossiers: {copied:,} rows COPYed in {t_copy:.1f} s ({copied / t_copy:,.0f} rows/s)")

    t0 = time.perf_counter()
    with pg_connect(args, args.db, autocommit=True) as conn:
        conn.execute("SELECT setval(pg_get_serial_sequence('dossiers_dossier', 'id'), "
                     "(SELECT max(id) FROM dossiers_dossier))")
    fill_counters(args, workers)
    t_counters = time.perf_counter() - t0
    print(f"  counters: rollup + delta tail filled in {t_counters:.1f} s")

    t0 = time.perf_counter()
    reattach(args, detached, workers)
    t_index = time.perf_counter() - t0
    print(f"  indexes and constraints rebuilt in {t_index:.1f} s")

    # The coarse tables (agency x day/month, month-start balances) follow from the rollup: derive
    # them with the same set-based SQL `rebuild_stats --fix` uses (the load bypassed compaction).
    t0 = time.perf_counter()
    manage(env, "shell", "-c", "from apps.stats.services import stats_rebuild_coarse; stats_rebuild_coarse()",
           timeout=3600)
    print(f"  coarse counters derived from the rollup in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    with pg_connect(args, args.db, autocommit=True) as conn:
        for table in ("dossiers_dossier", "stats_statrollup", "stats_statdelta", *COARSE_TABLES):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        conn.execute("ANALYZE")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - t0:.1f} s")
    print(f"load: {time.perf_counter() - t_all:.1f} s in all")
    return catalogue


def describe_database(args: argparse.Namespace) -> dict[str, Any]:
    with pg_connect(args, args.db) as conn:
        def one(sql: str) -> Any:
            return conn.execute(sql).fetchone()[0]

        facts = {
            "dossiers": one("SELECT count(*) FROM dossiers_dossier"),
            "rollup": one("SELECT count(*) FROM stats_statrollup"),
            "delta": one("SELECT count(*) FROM stats_statdelta"),
            "dossier_mb": one("SELECT pg_total_relation_size('dossiers_dossier') / 1048576.0"),
            "rollup_mb": one("SELECT pg_total_relation_size('stats_statrollup') / 1048576.0"),
            "coarse": {t: one(f"SELECT count(*) FROM {t}") for t in COARSE_TABLES},
            "agencies": one("SELECT count(*) FROM agencies_agency"),
            "procedures": one("SELECT count(*) FROM catalog_procedure"),
            "offerings": one("SELECT count(*) FROM catalog_offering"),
        }
        facts["status"] = dict(conn.execute(
            "SELECT status, count(*) FROM dossiers_dossier GROUP BY 1 ORDER BY 2 DESC").fetchall())
        facts["channel"] = dict(conn.execute(
            "SELECT channel, count(*) FROM dossiers_dossier GROUP BY 1 ORDER BY 2 DESC").fetchall())
        facts["timeliness"] = dict(conn.execute(
            "SELECT timeliness, count(*) FROM dossiers_dossier WHERE timeliness <> '' GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall())
        facts["overdue"] = one(
            "SELECT count(*) FROM dossiers_dossier WHERE status IN ('received', 'in_progress', 'awaiting_payment') "
            f"AND due_at < TIMESTAMPTZ '{END.isoformat()} 00:00:00+07'")
        facts["busiest_day"] = conn.execute(
            f"SELECT (received_at AT TIME ZONE '{TZ}')::date, count(*) FROM dossiers_dossier "
            "WHERE received_at IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 1").fetchone()
        cal = make_calendar()
        facts["working_days"] = sum(cal.working[: cal.end])
        facts["top_agency_share"] = one(
            "SELECT max(c)::float / sum(c) FROM (SELECT count(*) c FROM dossiers_dossier GROUP BY agency_id) t")
    return facts


def print_facts(facts: dict[str, Any]) -> None:
    n = facts["dossiers"] or 1
    online = facts["channel"].get("online", 0) + facts["channel"].get("portal", 0)
    print(f"rows: dossiers {facts['dossiers']:,} ({facts['dossier_mb']:,.0f} MB with indexes), "
          f"stats_statrollup {facts['rollup']:,} ({facts['rollup_mb']:,.0f} MB), stats_statdelta {facts['delta']:,}; "
          f"{facts['agencies']} agencies, {facts['procedures']} procedures, {facts['offerings']} offerings")
    print("  coarse: " + ", ".join(f"{t.removeprefix('stats_')} {c:,}" for t, c in facts["coarse"].items()))
    print(f"  {facts['rollup'] / n:.2f} rollup rows per dossier; "
          f"{facts['dossiers'] / facts['working_days']:,.0f} dossiers per working day "
          f"({facts['working_days']} working days); busiest day {facts['busiest_day'][0]} "
          f"({facts['busiest_day'][1]:,} received); busiest agency {facts['top_agency_share']:.1%} of all")
    print(f"  status {_shares(facts['status'], n)}")
    print(f"  channel {_shares(facts['channel'], n)} (online+portal {online / n:.1%})")
    print(f"  timeliness {_shares(facts['timeliness'], sum(facts['timeliness'].values()) or 1)}; "
          f"overdue pending at {END}: {facts['overdue']:,}")


def _shares(counts: dict[str, int], total: int) -> str:
    return ", ".join(f"{k} {v / total:.1%}" for k, v in counts.items())


# --- measurements (in-process Django) ----------------------------------------------------------


def setup_django(args: argparse.Namespace) -> None:
    for key in [k for k in os.environ if k.startswith(("DJANGO_", "DATABASE_", "CACHE_"))]:
        del os.environ[key]
    os.environ.update(django_env(args))
    import django

    django.setup()


def shrink_delta_tail(keep: int) -> int:
    """Leave `keep` uncompacted StatDelta rows, compacting the oldest with the service itself.

    The load leaves every event after DELTA_TAIL_FROM uncompacted (hours of them); a running system
    compacts every STATS_COMPACT_SECONDS (60 s), so a read meets about a minute of deltas. Reads pay
    per tail row (each summary scans it), so the tail, not the history, would set the figures."""
    from apps.stats.models import StatDelta
    from apps.stats.services import stats_compact

    tail = StatDelta.objects.count()
    if 0 <= keep < tail:
        t0 = time.perf_counter()
        moved = stats_compact(batch=tail - keep)
        print(f"\ncompacted {moved:,} of {tail:,} delta rows with stats_compact in "
              f"{time.perf_counter() - t0:.1f} s; {tail - moved:,} stay uncompacted")
        tail -= moved
    return tail


def pick_district(args: argparse.Namespace) -> tuple[int, str, frozenset[int]]:
    """The district whose subtree (district + communes) received the most dossiers."""
    with pg_connect(args, args.db) as conn:
        row = conn.execute(
            "SELECT d.id, d.code, count(x.id) FROM agencies_agency d "
            "JOIN agencies_agency a ON a.path LIKE d.path || '%%' "
            "LEFT JOIN dossiers_dossier x ON x.agency_id = a.id "
            "WHERE d.tier = %s GROUP BY d.id, d.code ORDER BY 3 DESC LIMIT 1", ["district"]).fetchone()
        if row is None:
            raise BenchError("no district in the bench database")
        ids = [r[0] for r in conn.execute(
            "SELECT a.id FROM agencies_agency a, agencies_agency d WHERE d.id = %s AND a.path LIKE d.path || '%%'",
            [row[0]]).fetchall()]
    return row[0], row[1], frozenset(ids)


CHECKED = ("received", "resolved_early", "resolved_on_time", "resolved_late", "rejected", "withdrawn",
           "rejected_at_intake", "withdrawn_before_reception", "submitted_online", "carried_over", "pending_end",
           "overdue_end", "payments_confirmed", "received_class_full", "received_class_partial")


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE '{TZ}')::date"


def direct_counts(agency_ids: frozenset[int] | None, start: date, end: date) -> dict[str, int]:
    """The same indicators counted straight from the dossiers (no transfers: holder = agency)."""
    from django.db import connection

    s, e = f"DATE '{start.isoformat()}'", f"DATE '{end.isoformat()}'"

    def inside(column: str) -> str:
        return f"{_local(column)} >= {s} AND {_local(column)} < {e}"

    def open_at(t: str) -> str:  # received before t and neither resolved nor closed before t
        return (f"{_local('received_at')} < {t} AND (resolved_at IS NULL OR {_local('resolved_at')} >= {t}) "
                f"AND (closed_at IS NULL OR {_local('closed_at')} >= {t})")

    conditions = [
        inside("received_at"),
        f"{inside('resolved_at')} AND timeliness = 'early'",
        f"{inside('resolved_at')} AND timeliness = 'on_time'",
        f"{inside('resolved_at')} AND timeliness = 'late'",
        f"{inside('closed_at')} AND status = 'rejected' AND received_at IS NOT NULL",
        f"{inside('closed_at')} AND status = 'withdrawn' AND received_at IS NOT NULL",
        f"{inside('closed_at')} AND status = 'rejected' AND received_at IS NULL",
        f"{inside('closed_at')} AND status = 'withdrawn' AND received_at IS NULL",
        f"{inside('submitted_at')} AND channel IN ('online', 'portal')",
        open_at(s),
        open_at(e),
        f"{open_at(e)} AND {_local('due_at')} < {e}",
        inside("paid_at"),
        f"{inside('received_at')} AND service_class = 'full'",
        f"{inside('received_at')} AND service_class = 'partial'",
    ]
    columns = ",\n".join(f"count(*) FILTER (WHERE {c})" for c in conditions)
    sql = f"SELECT {columns} FROM dossiers_dossier"
    params = None
    if agency_ids is not None:
        sql += " WHERE agency_id = ANY(%s)"
        params = [sorted(agency_ids)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return dict(zip(CHECKED, (int(v) for v in row), strict=True))


def spot_check(label: str, agency_ids: frozenset[int] | None, start: date, end: date) -> bool:
    from apps.stats.selectors import Scope, stats_summary

    summary = stats_summary(Scope(agency_ids=agency_ids), start, end)
    direct = direct_counts(agency_ids, start, end)
    bad = [k for k in CHECKED if summary[k] != direct[k]]
    balance = summary["balance"]
    balanced = balance["carried_over_plus_received_plus_in"] == balance["resolved_rejected_withdrawn_out_pending"]
    ok = not bad and balanced
    shown = ", ".join(f"{k}={summary[k]:,}" for k in CHECKED)
    verdict = "OK" if ok else "MISMATCH"
    print(f"  {label} [{start}, {end}): {verdict}  ({shown}; balance {'holds' if balanced else 'BROKEN'})")
    for k in bad:
        print(f"    MISMATCH {k}: stats_summary {summary[k]:,} vs direct SQL {direct[k]:,}")
    return ok


@dataclass
class Case:
    kind: str  # summary | breakdown
    scope_label: str
    agency_ids: frozenset[int] | None
    start: date
    end: date
    times: list[float] = field(default_factory=list)
    level: int | None = None  # the summary's level filter
    procedure: tuple[int, str] | None = None  # the summary's procedure filter: (id, code)
    service_class: str | None = None  # the summary's Decree 42/2022 class filter

    @property
    def filter_label(self) -> str:
        parts = ([f"level {self.level}"] if self.level else []) + ([f"proc {self.procedure[1]}"]
                                                                    if self.procedure else [])
        parts += [f"class {self.service_class}"] if self.service_class else []
        return " " + " ".join(parts) if parts else ""


def run_cases(cases: list[Case], repeat: int, budget: float, scale: str) -> bool:
    from apps.stats.selectors import Scope, stats_breakdown, stats_summary

    for case in cases:
        scope = Scope(agency_ids=case.agency_ids, level=case.level,
                      procedure_id=case.procedure[0] if case.procedure else None, service_class=case.service_class)
        if case.kind == "summary":
            def fn(scope=scope, case=case):
                return stats_summary(scope, case.start, case.end)
        else:
            by = case.kind.split("/")[1]

            def fn(scope=scope, case=case, by=by):
                return stats_breakdown(scope, case.start, case.end, by=by)
        case.times = time_calls(fn, repeat, budget)
        print(f"  {case.kind:<16}{case.scope_label + case.filter_label:<40}{case.start} .. {case.end}: "
              f"{len(case.times)} runs, "
              f"p95 {percentile(case.times, 0.95):,.1f} ms", flush=True)
    print()
    header = (f"{'case':<17}{'scope':<40}{'period':<12}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}"
              "  target       result")
    print(header)
    print("-" * len(header))
    passed = True
    for case in cases:
        p50, p95, worst = percentile(case.times, 0.5), percentile(case.times, 0.95), max(case.times)
        months = round((case.end - case.start).days / 30.4)
        if case.kind == "summary":
            ok = record("stats", f"summary p95, {case.scope_label.split(' ')[0]}{case.filter_label} {months} months, "
                        f"{scale}", p95,
                        SUMMARY_TARGET_MS, "ms", lower_is_better=True)
            passed &= ok
            target, result = f"p95<={SUMMARY_TARGET_MS:.0f}ms", "PASS" if ok else "FAIL"
        else:
            target, result = "-", "(info)"
        print(f"{case.kind:<17}{case.scope_label + case.filter_label:<40}{f'{months} months':<12}{len(case.times):>4}"
              f"{p50:>10,.1f}{p95:>10,.1f}{worst:>10,.1f}  {target:<12} {result}")
    print("-" * len(header))
    return passed


def explain_summary(label: str, agency_ids: frozenset[int] | None, start: date, end: date) -> None:
    """Per-statement times of one stats_summary, and the plan of the counter query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.stats.selectors import Scope, stats_summary

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        stats_summary(Scope(agency_ids=agency_ids), start, end)
        total = (time.perf_counter() - t0) * 1000
    queries = ctx.captured_queries
    sql_ms = sum(float(q["time"]) * 1000 for q in queries)
    print(f"\n  stats_summary {label} [{start}, {end}): {total:,.1f} ms = {len(queries)} statements "
          f"{sql_ms:,.1f} ms + Python {total - sql_ms:,.1f} ms")
    for q in queries:
        text = " ".join(q["sql"].split())
        print(f"    {float(q['time']) * 1000:>9,.1f} ms  {text[:110]}{'...' if len(text) > 110 else ''}")
    counter = next((q["sql"] for q in queries if "GROUP BY 1, 2, 3, 4, 5, 6" in q["sql"]), None)
    if counter is None:
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + counter)
            plan = [row[0] for row in cursor.fetchall()]
    except Exception as exc:  # the captured text may not be re-executable as is
        print(f"    (EXPLAIN failed: {exc})")
        return
    print("    plan of the counter query (_counter_rows):")
    for line in plan:
        print(f"      {line}")


# --- export RSS (subprocess) -------------------------------------------------------------------

EXPORT_SCRIPT = r"""
import json, resource, sys, time
import django
django.setup()
from rest_framework.test import APIClient
from apps.accounts.models import User

user = User.objects.get(username=sys.argv[1])
params = json.loads(sys.argv[2])
client = APIClient()
client.force_authenticate(user)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
response = client.get("/api/v1/dossiers/export.csv", params)
if response.status_code != 200 or not response.streaming:
    print(json.dumps({"error": f"status {response.status_code}, streaming={response.streaming}"}))
    sys.exit(1)
first = None
size = lines = 0
for chunk in response.streaming_content:
    if first is None:
        first = time.perf_counter() - t0
    size += len(chunk)
    lines += chunk.count(b"\n")
response.close()
print(json.dumps({"rows": lines - 1, "bytes": size, "seconds": time.perf_counter() - t0, "first_byte": first,
                  "base_kb": base, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


QUEUE_TARGET_MS = 100.0  # a clerk's queue page, server side
FOLDED_SEARCH_TARGET_MS = 50.0  # a name typed without diacritics (issue 16)


def bench_staff(username: str, role: str, agency_code: str, include_subtree: bool = False):
    """A staff account of the bench database (created once, reused with --reuse)."""
    from apps.accounts.models import User
    from apps.accounts.services import staff_create
    from apps.agencies.models import Agency

    user = User.objects.filter(username=username).first()
    if user is None:
        user = staff_create(username=username, password="bench-only-password", full_name=username, roles=[role],
                            agencies=[Agency.objects.get(code=agency_code)], include_subtree=include_subtree)
    return user


def measure_queue(args: argparse.Namespace, scale: str) -> bool:
    """The clerk queue of the agency with the most open dossiers: the default page (open dossiers,
    soonest due first), the overdue filter and a search by dossier code, through the API."""
    from rest_framework.test import APIClient

    from apps.accounts.roles import Role
    from onestop.text import fold

    with pg_connect(args, args.db) as conn:
        agency_code, open_count, code = conn.execute(
            "SELECT a.code, count(*), min(d.code) FROM dossiers_dossier d JOIN agencies_agency a "
            "ON a.id = d.agency_id WHERE d.status IN ('received', 'in_progress', 'awaiting_supplement', "
            "'awaiting_payment', 'submitted') GROUP BY a.code ORDER BY 2 DESC LIMIT 1").fetchone()
        # A name as a person types it on a phone: no diacritics, lower case (issue 16).
        (name,) = conn.execute(
            "SELECT d.applicant_name FROM dossiers_dossier d JOIN agencies_agency a ON a.id = d.agency_id "
            "WHERE a.code = %s AND d.status = 'in_progress' ORDER BY d.id DESC LIMIT 1", (agency_code,)).fetchone()
    client = APIClient()
    client.force_authenticate(bench_staff("bench-clerk", Role.CLERK, agency_code))
    print(f"  clerk of {agency_code} ({open_count:,} open dossiers): GET /api/v1/dossiers/ …")
    passed = True
    cases = (("default page", "", QUEUE_TARGET_MS), ("overdue", "?overdue=true", QUEUE_TARGET_MS),
             ("search by code", f"?q={code}", QUEUE_TARGET_MS),
             ("search by name without diacritics", f"?q={quote(fold(name))}", FOLDED_SEARCH_TARGET_MS))
    for label, query, target in cases:
        def fn(query=query):
            response = client.get(f"/api/v1/dossiers/{query}")
            if response.status_code != 200:
                raise BenchError(f"queue {query!r} answered {response.status_code}: {response.content[:300]!r}")
        times = time_calls(fn, args.repeat, args.case_budget)
        p95 = percentile(times, 0.95)
        ok = record("stats", f"clerk queue p95, {label}, {scale}", p95, target, "ms", lower_is_better=True,
                    note=f"{open_count:,} open in the agency")
        passed &= ok
        print(f"  {label:<16} p50 {percentile(times, 0.5):7.1f} ms  p95 {p95:7.1f} ms  "
              f"(target <= {target:.0f} ms): {'PASS' if ok else 'FAIL'}")
    return passed


def export_filters(args: argparse.Namespace, total: int) -> dict[str, str]:
    """include_closed=true, and when the table is much larger than --export-rows, the latest
    received days that hold at least that many rows (received_from)."""
    params = {"include_closed": "true"}
    if total <= args.export_rows * 1.1:
        return params
    with pg_connect(args, args.db) as conn:
        days = conn.execute(
            f"SELECT (received_at AT TIME ZONE '{TZ}')::date AS day, count(*) FROM dossiers_dossier "
            "WHERE received_at IS NOT NULL GROUP BY 1 ORDER BY 1 DESC").fetchall()
    running = 0
    for day, count in days:
        running += count
        if running >= args.export_rows:
            params["received_from"] = day.isoformat()
            break
    return params


def measure_export(args: argparse.Namespace, username: str, total: int) -> tuple[bool, dict[str, Any]]:
    params = export_filters(args, total)
    try:
        done = subprocess.run([PYTHON, "-c", EXPORT_SCRIPT, username, json.dumps(params)], cwd=ROOT,
                              env=django_env(args), capture_output=True, text=True, timeout=args.export_timeout)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"the export took longer than {args.export_timeout:.0f} s") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BenchError(f"the export subprocess failed:\n{(done.stdout + done.stderr).strip()[-2000:]}")
    out = json.loads(lines[-1])
    peak_mb = out["peak_kb"] / 1024
    ok = out["rows"] >= min(total, args.export_rows) * 0.999
    ok &= record("stats", f"CSV export of {out['rows']:,} dossiers, peak RSS", peak_mb, EXPORT_TARGET_MB, "MB",
                 lower_is_better=True)
    print(f"  GET /api/v1/dossiers/export.csv?{'&'.join(f'{k}={v}' for k, v in params.items())}")
    print(f"  rows {out['rows']:,}, {out['bytes'] / 1048576:,.1f} MB of CSV in {out['seconds']:.1f} s "
          f"({out['rows'] / out['seconds']:,.0f} rows/s; first byte after {out['first_byte']:.2f} s)")
    print(f"  RSS: {out['base_kb'] / 1024:,.1f} MB after django.setup(), peak {peak_mb:,.1f} MB "
          f"(target <= {EXPORT_TARGET_MB:.0f} MB): {'PASS' if ok else 'FAIL'}")
    return ok, out


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=1_000_000, help="dossiers to load (default 1,000,000)")
    parser.add_argument("--quick", action="store_true", help="100,000 dossiers (overrides --dossiers)")
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per case after a warm-up (default 30)")
    parser.add_argument("--case-budget", type=float, default=45.0,
                        help="seconds per case before fewer repeats are accepted (min 3 runs; default 45)")
    parser.add_argument("--tail", type=int, default=6000,
                        help="uncompacted delta rows left for the reads (the real stats_compact moves the rest; "
                             "default 6000 ~ 10 office minutes at HCMC scale; -1 keeps what the load left)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure an existing (kept) database; no load")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="loader processes")
    parser.add_argument("--export-rows", type=int, default=1_000_000, help="rows of the CSV export (default 1 M)")
    parser.add_argument("--export-timeout", type=float, default=3600.0)
    parser.add_argument("--no-export", action="store_true", help="skip the export measurement")
    add_pg_arguments(parser, "onestop_stats_bench")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.dossiers = 100_000
    if not 1_000 <= args.dossiers <= 60_000_000 or not 1 <= args.repeat <= 1000 or not 1 <= args.workers <= 16:
        parser.error("--dossiers 1000..60000000, --repeat 1..1000, --workers 1..16")
    if args.pg_host not in (HOST, "localhost"):
        parser.error("the benchmark only talks to a local PostgreSQL (127.0.0.1)")
    if not args.db.startswith("onestop_stats_bench"):
        parser.error("--db must start with onestop_stats_bench (it is dropped at the end)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("psycopg is not installed; run with .venv/bin/python", file=sys.stderr)
        return 2

    created = False
    failures: list[str] = []
    try:
        if args.reuse:
            if not database_exists(args):
                raise BenchError(f"--reuse: database {args.db} does not exist (run once with --keep)")
            print(f"reusing database {args.db}")
            manage(django_env(args), "migrate", "--noinput")  # the code may have moved on since it was kept
        else:
            print(f"load: {args.dossiers:,} dossiers into {args.db} on {args.pg_host}:{args.pg_port}")
            created = True
            load(args)
        facts = describe_database(args)
        print_facts(facts)

        setup_django(args)
        from django.db import connection

        from apps.accounts.roles import Role

        tail = shrink_delta_tail(args.tail)
        _, district_code, district_ids = pick_district(args)
        p3, p9 = (date(2025, 7, 1), END), (START, END)
        print("\nspot check (stats_summary vs direct SQL over dossiers_dossier):")
        checks = [spot_check(f"district {district_code} subtree ({len(district_ids)} agencies)", district_ids,
                             date(2025, 8, 1), date(2025, 9, 1)),
                  spot_check("whole province", None, date(2025, 8, 1), date(2025, 9, 1)),
                  spot_check("whole province", None, *p9)]
        if not all(checks):
            failures.append("stats_summary differs from the dossiers")

        district = f"district {district_code}"
        cases = [Case(kind, label, ids, *period)
                 for kind in ("summary", "breakdown/month")
                 for label, ids in (("province", None), (district, district_ids))
                 for period in (p3, p9)]
        # The ranking's read: every agency of the province listed (issue 13), with its provision figures.
        cases += [Case("breakdown/agency", "province", None, *p3)]
        # Filtered summaries: levels 3 and 4 (the level column) and the busiest procedure (per-procedure tables).
        from django.db.models import Sum

        from apps.catalog.models import Procedure
        from apps.stats.models import ALL_AGENCIES, StatProcedureMonth
        from onestop.indicators import Metric
        busiest = (StatProcedureMonth.objects.filter(agency_id=ALL_AGENCIES, metric=Metric.RECEIVED)
                   .values("procedure_id").annotate(received=Sum("n")).order_by("-received").first())
        if busiest:
            top = (busiest["procedure_id"], Procedure.objects.get(pk=busiest["procedure_id"]).code)
            cases += [Case("summary", label, ids, *period, **f)
                      for f in ({"level": 3}, {"level": 4}, {"procedure": top})
                      for label, ids in (("province", None), (district, district_ids))
                      for period in (p3, p9)]
        # Decree 42/2022 classes: the class column (partial splits level 3 and 4), and every class listed.
        cases += [Case("summary", label, ids, *period, service_class="partial")
                  for label, ids in (("province", None), (district, district_ids)) for period in (p3, p9)]
        cases += [Case("breakdown/class", "province", None, *p9)]
        print(f"\ntimings: {args.repeat} calls per case after a warm-up (at most ~{args.case_budget:.0f} s per case); "
              f"province = Scope(agency_ids=None), {district} = {len(district_ids)} agencies")
        scale = f"{facts['dossiers'] / 1e6:.2f} M dossiers, {tail:,} uncompacted deltas"
        if not run_cases(cases, args.repeat, args.case_budget, scale):
            failures.append(f"summary p95 above {SUMMARY_TARGET_MS:.0f} ms")
        print("(target at 12.25 M dossiers; compare runs at 1 M and 12.25 M for flatness)")

        print("\ndashboard (apps.dashboard.selectors.dashboard_page_data, province supervisor):")
        from dashboard_case import DASHBOARD_TARGET_MS, print_figures, time_dashboard_first_paint

        painted = time_dashboard_first_paint(repeat=args.repeat, budget_seconds=args.case_budget)
        print_figures(painted)
        if painted["agencies_ranked"] != painted["agencies"]:
            failures.append("the dashboard's ranking does not list every agency")
        if not record("stats", f"dashboard first paint p95, province, {scale}", painted["p95_ms"],
                      DASHBOARD_TARGET_MS, "ms", lower_is_better=True,
                      note=f"{painted['statements']} SQL statements"):
            failures.append(f"dashboard first paint p95 above {DASHBOARD_TARGET_MS:.0f} ms")

        print("\nqueue (API, in-process):")
        if not measure_queue(args, scale):
            failures.append(f"queue p95 above {QUEUE_TARGET_MS:.0f} ms")

        print("\nworkbench queue page (GET /workbench/, in-process, issue 18):")
        from workbench_case import WORKBENCH_TARGET_MS, measure_workbench_queue, print_rows

        for row in measure_workbench_queue(repeat=args.repeat, budget_seconds=args.case_budget):
            if not record("stats", f"workbench queue page p95, {row['label']}, {scale}", row["p95_ms"],
                          WORKBENCH_TARGET_MS, "ms", lower_is_better=True,
                          note=f"{row['open']:,} open in the agency, {row['statements']} SQL statements"):
                failures.append(f"workbench queue page p95 above {WORKBENCH_TARGET_MS:.0f} ms ({row['label']})")
            print_rows([row])

        print("\nwhere the time goes:")
        explain_summary("province", None, *p9)
        explain_summary(district, district_ids, *p3)

        if not args.no_export:
            print("\nexport (subprocess, province supervisor):")
            user = bench_staff("bench-supervisor", Role.SUPERVISOR, PROVINCE_CODE, include_subtree=True)
            ok, _ = measure_export(args, user.username, facts["dossiers"])
            if not ok:
                failures.append(f"export RSS above {EXPORT_TARGET_MB:.0f} MB or rows missing")
        connection.close()
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created and not args.keep:
            try:
                recreate_database(args, drop_only=True)
                print(f"\ndropped database {args.db}")
            except BenchError as exc:
                print(f"could not drop {args.db}: {exc}", file=sys.stderr)
        elif created or args.reuse:
            print(f"\nkept database {args.db} (measure it again with --reuse; drop it with "
                  f"psql -h {args.pg_host} -U {args.pg_user} -c 'DROP DATABASE {args.db}')")
    if failures:
        print("\nFAILED: " + "; ".join(failures))
        return 1
    print("\nall targets and checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
