"""A stand-in for the national portal speaking its own protocol (tests, benchmarks, `portal_check`).

    .venv/bin/python bench/fake_portal_dvcqg.py [--port 8766] [--username onestop] [--password s3cret]

then run onestop with PORTAL_TRANSPORT=dvcqg PORTAL_ADAPTER_URL=http://127.0.0.1:8766
PORTAL_USERNAME=onestop PORTAL_PASSWORD=s3cret PORTAL_AGENCY_CODE=000.00.00.H29 (the endpoints
default to /mapi/login and /mapi/g, which is what this fake serves; any other POST path is a service
call too, its name taken from the body or the last path segment).

What it speaks (apps/portal/dvcqg/client.py): ``POST /mapi/login {username, password}`` ->
``{session, error_code: "00"}``; service calls carry ``session`` and ``service``:

- DongBoHoSoMC ``{isUpdating, data: [records]}``: checks each record (MaHoSo, MaTTHC,
  TrangThaiHoSo, KenhThucHien 1/2/3, dates yyyyMMddHHmmss), keeps the latest record per MaHoSo;
  ``isUpdating=True`` for a dossier it never received is refused ("not synced yet");
- CapNhatTienDoHoSoMC ``{data: [entries]}``: refuses entries of a dossier it does not hold;
  records each entry once by (MaHoSo, ThoiDiemXuLy, TienDoId) and counts repeats as duplicates;
  notes an order violation when a dossier's entry arrives after a later one;
- TraCuuHoSo ``{mahoso}``, LayDanhSachTTHC, LayThuTuc ``{maTTHC}`` (from `catalog`).

Batch answers judge each record: ``{error_code: "00" | "-1", message, result: [{MaHoSo,
error_code, message}]}``. Misbehaviour (as bench/fake_portal.py, plus the session's own):
mode ok/error/timeout/drop, fail_next, delay, error_status; ``session_ttl`` (seconds a session
lives; an expired or unknown session is answered ``{error_code: "401"}``), ``expire_sessions()``,
``wrong_password``; ``reject_records`` (MaHoSo refused by DongBoHoSoMC) and ``reject_keys``
(event ids = TienDoId refused by CapNhatTienDoHoSoMC). Standard library only.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.fake_portal import FakePortal, serve

AUTH_PATH = "/mapi/login"
DATE = re.compile(r"^\d{14}$")
DATE_FIELDS = ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy")
EXTRA_OPTIONS = {"session_ttl", "wrong_password", "reject_records"}


class FakeDvcqgPortal(FakePortal):
    def __init__(self, *, username: str = "onestop", password: str = "fake-portal-password",
                 agency_code: str = "000.00.00.H29", session_ttl: float = 1800.0, host: str = "127.0.0.1",
                 port: int = 0, catalog: list[dict[str, Any]] | None = None) -> None:
        self.username, self.password, self.agency_code = username, password, agency_code
        self.session_ttl = session_ttl
        self.wrong_password = False
        self.reject_records: set[str] = set()
        self.catalog = catalog or []
        super().__init__(host=host, port=port)

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.sessions: dict[str, float] = {}  # session -> expiry (monotonic)
            self.logins = 0
            self.auth_refusals = 0
            self.records: dict[str, dict[str, Any]] = {}  # MaHoSo -> latest DongBoHoSoMC record
            self.sync_calls: list[tuple[str, int]] = []  # (isUpdating, records) per DongBoHoSoMC call
            self.progress_calls = 0
            self.rejected: list[tuple[str, str, str]] = []  # (service, MaHoSo, why)
            self.seen_queries: list[dict[str, str]] = []

    def configure(self, **options: Any) -> None:
        extra = {k: options.pop(k) for k in list(options) if k in EXTRA_OPTIONS}
        super().configure(**options)
        with self.lock:
            for name, value in extra.items():
                setattr(self, name, set(value) if name == "reject_records" else value)

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()

    def stats(self) -> dict[str, Any]:
        base = super().stats()
        with self.lock:
            base.update(logins=self.logins, auth_refusals=self.auth_refusals, dossiers=len(self.records),
                        sync_calls=len(self.sync_calls), progress_calls=self.progress_calls)
        return base

    @property
    def url(self) -> str:
        """PORTAL_ADAPTER_URL."""
        return f"http://{self.host}:{self.port}"

    def settings(self) -> dict[str, str]:
        """The environment a onestop process needs to talk to this fake."""
        return {"PORTAL_TRANSPORT": "dvcqg", "PORTAL_ADAPTER_URL": self.url, "PORTAL_AUTH_ENDPOINT": AUTH_PATH,
                "PORTAL_SERVICE_ENDPOINT": "/mapi/g", "PORTAL_USERNAME": self.username,
                "PORTAL_PASSWORD": self.password, "PORTAL_AGENCY_CODE": self.agency_code}

    # --- serving -------------------------------------------------------------------------------

    def handle_sync(self, handler: Any, body: bytes) -> None:
        with self.lock:
            mode, failing = self._fate()
        if self._misbehaved(handler, mode, failing, {"error_code": "500", "message": "told to fail"}):
            return
        try:
            document = json.loads(body or b"{}")
            if not isinstance(document, dict):
                raise ValueError
        except ValueError:
            handler._json(400, {"error_code": "-1", "message": "not JSON"})
            return
        path, _, query_text = handler.path.partition("?")
        query = dict(part.split("=", 1) for part in query_text.split("&") if "=" in part)
        if path.rstrip("/") == AUTH_PATH:
            answer = self._login(document)
        else:
            answer = self._service(document, path, query)
        delay = self.timeout_seconds if mode == "timeout" else self.delay
        if delay:
            time.sleep(delay)
        try:
            handler._json(200, answer)
        except OSError:  # the sender gave up (timeout) or died
            pass

    def _login(self, document: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.logins += 1
            if self.wrong_password or document.get("username") != self.username \
                    or document.get("password") != self.password:
                return {"error_code": "01", "message": "Sai tên đăng nhập hoặc mật khẩu", "session": None}
            session = uuid.uuid4().hex
            self.sessions[session] = time.monotonic() + self.session_ttl
            return {"error_code": "00", "session": session, "message": "Đăng nhập thành công"}

    def _service(self, document: dict[str, Any], path: str, query: dict[str, str]) -> dict[str, Any]:
        service = document.get("service") or path.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            expiry = self.sessions.get(str(document.get("session")))
            if expiry is None or expiry < time.monotonic():
                self.sessions.pop(str(document.get("session")), None)
                self.auth_refusals += 1
                return {"error_code": "401", "message": "Phiên làm việc không hợp lệ hoặc đã hết hạn"}
            if service == "DongBoHoSoMC":
                self.seen_queries.append(query)
                return self._sync(document, query)
            if service == "CapNhatTienDoHoSoMC":
                return self._progress(document)
            if service == "TraCuuHoSo":
                record = self.records.get(str(document.get("mahoso") or document.get("MaHoSo")))
                return {"error_code": "00", "result": [record] if record else []}
            if service == "LayDanhSachTTHC":
                return {"error_code": "00", "result": [{"MATTHC": p["MATTHC"], "TENTTHC": p.get("TENTTHC")}
                                                       for p in self.catalog]}
            if service == "LayThuTuc":
                wanted = str(document.get("maTTHC") or "")
                return {"error_code": "00", "result": [p for p in self.catalog if p["MATTHC"] == wanted]}
        return {"error_code": "-1", "message": f"unknown service {service!r}"}

    def _batch_answer(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        bad = sum(1 for r in results if r["error_code"] != "00")
        return {"error_code": "00" if not bad else "-1",
                "message": "Thành công" if not bad else f"{bad}/{len(results)} bản ghi lỗi", "result": results}

    def _check_record(self, record: Any, updating: bool) -> str:
        if not isinstance(record, dict):
            return "not an object"
        for name in ("MaHoSo", "MaTTHC", "TrangThaiHoSo"):
            if record.get(name) in (None, ""):
                return f"{name} is required"
        if record.get("KenhThucHien") not in (1, 2, 3, "1", "2", "3"):
            return f"KenhThucHien must be 1, 2 or 3, got {record.get('KenhThucHien')!r}"
        for name in DATE_FIELDS:
            if record.get(name) and not DATE.match(str(record[name])):
                return f"{name} is not yyyyMMddHHmmss: {record[name]!r}"
        if str(record["MaHoSo"]) in self.reject_records:
            return "told to reject"
        if updating and str(record["MaHoSo"]) not in self.records:
            return "Hồ sơ chưa được đồng bộ (isUpdating=True)"
        return ""

    def _sync(self, document: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
        updating = str(document.get("isUpdating", query.get("isUpdating", "False"))).lower() == "true"
        data = document.get("data") or []
        self.sync_calls.append(("True" if updating else "False", len(data)))
        results = []
        for record in data:
            why = self._check_record(record, updating)
            code = str(record.get("MaHoSo")) if isinstance(record, dict) else ""
            if why:
                self.rejected.append(("DongBoHoSoMC", code, why))
                results.append({"MaHoSo": code, "error_code": "-1", "message": why})
            else:
                self.records[code] = record
                results.append({"MaHoSo": code, "error_code": "00", "message": ""})
        return self._batch_answer(results)

    def _progress(self, document: dict[str, Any]) -> dict[str, Any]:
        self.progress_calls += 1
        results = []
        for entry in document.get("data") or []:
            code = str(entry.get("MaHoSo")) if isinstance(entry, dict) else ""
            event_id = entry.get("TienDoId") if isinstance(entry, dict) else None
            why = ""
            if code not in self.records:
                why = "Hồ sơ không tồn tại"
            elif not entry.get("ThoiDiemXuLy") or not DATE.match(str(entry["ThoiDiemXuLy"])):
                why = "ThoiDiemXuLy is not yyyyMMddHHmmss"
            elif str(event_id) in self.reject_keys:
                why = "told to reject"
            if why:
                self.rejected.append(("CapNhatTienDoHoSoMC", code, why))
                results.append({"MaHoSo": code, "error_code": "-1", "message": why})
                continue
            key = str(event_id)  # with MaHoSo + ThoiDiemXuLy: one entry per event
            if key in self.messages and self.messages[key]["data"]["ThoiDiemXuLy"] == entry["ThoiDiemXuLy"] \
                    and self.messages[key]["dossier"] == code:
                self.duplicates += 1
            else:
                self.messages[key] = {"dossier": code, "event_id": int(event_id), "data": entry}
                self.order.append(key)
                last = self.last_event.get(code)
                if last is not None and int(event_id) < last:
                    self.order_violations.append((code, last, int(event_id)))
                self.last_event[code] = max(int(event_id), last or 0)
            results.append({"MaHoSo": code, "error_code": "00", "message": ""})
        return self._batch_answer(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--username", default="onestop")
    parser.add_argument("--password", default="fake-portal-password")
    parser.add_argument("--agency-code", default="000.00.00.H29")
    parser.add_argument("--session-ttl", type=float, default=1800.0)
    parser.add_argument("--catalog", default=None, help="JSON file: LayThuTuc records (MATTHC, TENTTHC, ...)")
    args = parser.parse_args()
    catalog = json.loads(Path(args.catalog).read_text(encoding="utf-8")) if args.catalog else None
    portal = FakeDvcqgPortal(username=args.username, password=args.password, agency_code=args.agency_code,
                             session_ttl=args.session_ttl, host=args.host, port=args.port, catalog=catalog).start()
    print("fake portal (dvcqg) listening: " + " ".join(f"{k}={v}" for k, v in portal.settings().items()), flush=True)
    serve(portal)


if __name__ == "__main__":
    main()
