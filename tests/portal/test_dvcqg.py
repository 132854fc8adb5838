"""The portal's own protocol (PORTAL_TRANSPORT=dvcqg) against the fake in bench/fake_portal_dvcqg.py:
session login and renewal, DongBoHoSoMC / CapNhatTienDoHoSoMC records, per-record errors."""
from __future__ import annotations

import re

import pytest

from apps.dossiers.models import DossierEvent
from apps.portal.models import OutboxMessage, OutboxStatus
from apps.portal.services import get_transport, outbox_drain, outbox_replay

from .conftest import make_history
from .test_outbox import assert_exactly_once_in_order, drain_until_idle

pytestmark = pytest.mark.django_db

DATE = re.compile(r"^\d{14}$")


def test_delivers_every_event_once_in_order_with_one_login(dvcqg_settings, dvcqg_portal, demo, media_root):
    make_history(4, steps=3)  # 16 events, 4 per dossier
    assert drain_until_idle() == 16
    assert_exactly_once_in_order(dvcqg_portal)
    stats = dvcqg_portal.stats()
    assert stats["logins"] == 1 and stats["dossiers"] == 4 and stats["duplicates"] == 0
    # The creating events went as new records, the rest as updates, with the agency in the query.
    flags = [flag for flag, _ in dvcqg_portal.sync_calls]
    assert flags[0] == "False" and set(flags[1:]) == {"True"}
    assert all(q == {"MaDinhDanhDV": "000.00.00.H29", "isUpdating": f} for q, f in zip(
        dvcqg_portal.seen_queries, flags, strict=True))
    assert isinstance(get_transport(), __import__("apps.portal.dvcqg.transport", fromlist=["x"]).DvcqgTransport)


# --- the records -------------------------------------------------------------------------------

SYNC_FIELDS = (
    "MaHoSo", "MaTTHC", "TenTTHC", "MaLinhVuc", "TenLinhVuc", "SoBienNhan", "ChuHoSo", "LoaiDoiTuong", "MaDoiTuong",
    "ThongTinKhac", "Email", "Fax", "SoDienThoai", "TrichYeuHoSo", "NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo",
    "NgayTra", "ThongTinTra", "HinhThuc", "NgayKetThucXuLy", "DonViXuLy", "GhiChu", "KenhThucHien", "TaiLieuNop",
    "DanhSachLePhi", "DanhSachTepDinhKemKhac", "DanhSachHoSoBoSung", "DanhSachGiayToKetQua",
)
PROGRESS_FIELDS = ("MaHoSo", "NguoiXuLy", "ChucDanh", "ThoiDiemXuLy", "PhongBanXuLy", "NoiDungXuLy", "TrangThai",
                   "NgayBatDau", "NgayKetThucTheoQuyDinh")


def full_history():
    """One dossier through supplement, payment, resolution with a result document, and return by post."""
    from apps.accounts.models import User
    from apps.dossiers import services
    from apps.dossiers.uploads import check_upload
    from tests.dossier_fixtures import pdf

    from .conftest import register_dossier

    dossier = register_dossier(1)
    clerk = services.Caller.for_user(User.objects.get(username="clerk_tuphap"))
    specialist = services.Caller.for_user(User.objects.get(username="specialist_tuphap"))
    services.dossier_assign(dossier_id=dossier.pk, caller=clerk, assignee_username="specialist_tuphap")
    services.dossier_request_supplement(dossier_id=dossier.pk, caller=clerk, reason="Thiếu bản sao CCCD",
                                        items=["CCCD"])
    services.dossier_supplement(dossier_id=dossier.pk, caller=clerk, note="Đã bổ sung")
    services.dossier_request_payment(dossier_id=dossier.pk, caller=clerk, amount=200000,
                                     items=[{"name": "Lệ phí cấp phiếu", "amount": "200000"}])
    services.dossier_confirm_payment(dossier_id=dossier.pk, caller=clerk, method="online", reference="VNPAY-1")
    services.dossier_resolve(dossier_id=dossier.pk, caller=specialist, result="approved",
                             documents=[check_upload("KQ", pdf("phieu-lltp.pdf"), field="KQ")])
    services.dossier_return(dossier_id=dossier.pk, caller=clerk, method="post", note="Gửi qua bưu điện")
    dossier.refresh_from_db()
    return dossier


def test_records_carry_every_field_of_the_design(dvcqg_settings, dvcqg_portal, demo, media_root, api):
    dossier = full_history()
    drain_until_idle()
    assert_exactly_once_in_order(dvcqg_portal)
    record = dvcqg_portal.records[dossier.code]  # the last record: returned
    assert set(SYNC_FIELDS) <= set(record)
    assert (record["MaHoSo"], record["MaTTHC"], record["KenhThucHien"], record["LoaiDoiTuong"]) == (
        dossier.code, "2.000488", 1, "1")
    assert (record["TrangThaiHoSo"], record["HinhThuc"], record["ThongTinTra"]) == (10, "1", "Gửi qua bưu điện")
    for name in ("NgayTiepNhan", "NgayHenTra", "NgayTra", "NgayKetThucXuLy"):
        assert DATE.match(record[name]), name
    assert record["Email"] == "dan1@example.vn" and record["SoDienThoai"] == "0912345678"
    # Documents handed in, with links the portal can fetch without an account.
    assert [d["MaThanhPhanHoSo"] for d in record["TaiLieuNop"]] == ["TKLLTP", "CCCD"]
    for document in record["TaiLieuNop"] + [
        {"DuongDanTaiTepTin": d["DuongDanTepTinKetQua"]} for d in record["DanhSachGiayToKetQua"]
    ]:
        path = document["DuongDanTaiTepTin"].removeprefix("http://127.0.0.1:8000")
        response = api.get(path)
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert [d["MaThanhPhanHoSo"] for d in record["DanhSachGiayToKetQua"]] == ["KQ"]
    fee = record["DanhSachLePhi"]
    assert fee == [{"TenPhiLePhi": "Lệ phí cấp phiếu", "MaPhiLePhi": "2.000488-1", "HinhThucThu": "1",
                    "Gia": 200000, "LoaiPhiLePhi": "2"}]
    (round_,) = record["DanhSachHoSoBoSung"]
    pause = dossier.pauses.get()
    assert round_["NoiDungBoSung"] == "Thiếu bản sao CCCD" and round_["TrangThaiBoSung"] == 1
    assert round_["NgayHenTraTruoc"] == __import__("apps.portal.payloads", fromlist=["x"]).portal_time(
        pause.due_at_before)
    assert round_["NgayHenTraMoi"] == __import__("apps.portal.payloads", fromlist=["x"]).portal_time(
        pause.due_at_after)
    assert DATE.match(round_["NgayTiepNhanBoSung"])


def test_each_record_is_the_dossier_as_it_stood_at_its_event(dvcqg_settings, dvcqg_portal, demo, media_root):
    from apps.portal.dvcqg import records
    from apps.portal.services import _message

    dossier = full_history()
    rows = OutboxMessage.objects.filter(dossier=dossier).order_by("id")
    items = records.build([_message(r) for r in rows])
    by_action = {DossierEvent.objects.get(pk=int(i.key)).action: i for i in items}
    assert not by_action["register"].is_update and by_action["assign"].is_update
    # The supplement round appears when requested, its new appointment once it is answered.
    assert by_action["assign"].record["DanhSachHoSoBoSung"] == []
    asked = by_action["request_supplement"].record["DanhSachHoSoBoSung"][0]
    assert (asked["TrangThaiBoSung"], asked["NgayHenTraMoi"]) == (0, "")
    assert by_action["supplement"].record["DanhSachHoSoBoSung"][0]["NgayHenTraMoi"] != ""
    assert by_action["request_supplement"].record["DanhSachLePhi"] == []
    assert by_action["resolve"].record["DanhSachGiayToKetQua"] != []
    assert by_action["confirm_payment"].record["DanhSachGiayToKetQua"] == []
    progress = by_action["request_supplement"].progress
    assert set(PROGRESS_FIELDS) <= set(progress)
    assert progress["TrangThai"] == 5 and progress["NoiDungXuLy"] == "Yêu cầu bổ sung: Thiếu bản sao CCCD"
    assert progress["ChucDanh"] == "Cán bộ một cửa" and progress["TienDoId"] == int(by_action["request_supplement"].key)
    assert DATE.match(progress["ThoiDiemXuLy"]) and DATE.match(progress["NgayBatDau"])
    assert progress["NgayKetThucTheoQuyDinh"] == by_action["request_supplement"].record["NgayHenTra"]


def test_document_links_are_signed_and_expire(settings, demo, media_root, api):
    from apps.audit.models import AuditEntry
    from apps.portal.files import document_url

    dossier = full_history()
    document = dossier.documents.order_by("id").first()
    path = document_url(document.pk).removeprefix(settings.PUBLIC_BASE_URL)
    assert api.get(path).status_code == 200  # no account, only the signature
    entry = AuditEntry.objects.filter(dossier_code=dossier.code).latest("id")
    assert entry.detail == {"document_id": document.pk, "via": "portal signed link"}
    tampered = path.replace(path.split("/")[-2], path.split("/")[-2][:-2] + "xx")
    response = api.get(tampered)
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
    other = document_url(document.pk + 1000).removeprefix(settings.PUBLIC_BASE_URL)
    assert api.get(other).status_code == 404
    settings.PORTAL_FILE_URL_SECONDS = -1  # every link is now too old
    response = api.get(path)
    assert response.status_code == 410 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "link_expired"


# --- the session -------------------------------------------------------------------------------


def test_an_expired_session_is_renewed_and_the_call_repeated(dvcqg_settings, dvcqg_portal, demo, media_root):
    make_history(2, steps=0)
    drain_until_idle()
    dvcqg_portal.expire_sessions()  # the portal forgets it; our cache still holds it
    for dossier in __import__("apps.dossiers.models", fromlist=["x"]).Dossier.objects.all():
        from .conftest import advance_one

        advance_one(dossier, 0)
    assert drain_until_idle() == 2
    stats = dvcqg_portal.stats()
    assert (stats["logins"], stats["auth_refusals"]) == (2, 1)
    assert_exactly_once_in_order(dvcqg_portal)
    assert OutboxMessage.objects.filter(attempts__gt=1).count() == 0  # renewed within the same attempt


def test_the_session_is_renewed_before_it_expires(dvcqg_settings, dvcqg_portal, demo, media_root):
    import time

    dvcqg_settings.PORTAL_SESSION_SECONDS = 3
    dvcqg_settings.PORTAL_SESSION_RENEW_MARGIN = 2  # cached for 1 s, the portal keeps it 3 s
    dvcqg_portal.configure(session_ttl=3)
    make_history(1, steps=0)
    drain_until_idle()
    time.sleep(1.2)
    make_history(1, steps=0)
    drain_until_idle()
    stats = dvcqg_portal.stats()
    assert (stats["logins"], stats["auth_refusals"]) == (2, 0)


def _store():
    from apps.portal.dvcqg.client import PortalClient, PortalConfig
    from apps.portal.dvcqg.session import SessionStore

    return SessionStore(PortalClient(PortalConfig.from_settings()).login)


@pytest.mark.parametrize("workers", [8])
def test_many_workers_starting_together_log_in_once(dvcqg_settings, dvcqg_portal, workers):
    import threading

    dvcqg_portal.configure(delay=0.3)  # a slow login: everyone arrives while it runs
    barrier = threading.Barrier(workers)
    sessions: list[str] = []

    def worker() -> None:
        store = _store()
        barrier.wait()
        sessions.append(store.get())

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(sessions) == workers and len(set(sessions)) == 1
    assert dvcqg_portal.logins == 1


def test_many_worker_processes_starting_together_log_in_once(dvcqg_settings, dvcqg_portal):
    """Separate processes share the session through Redis: N processes, 1 login."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    dvcqg_portal.configure(delay=0.5)
    start_at = time.time() + 6  # every process is set up and waiting by then
    script = (
        "import django, time, sys; django.setup(); "
        "from apps.portal.dvcqg.client import PortalClient, PortalConfig; "
        "from apps.portal.dvcqg.session import SessionStore; "
        "store = SessionStore(PortalClient(PortalConfig.from_settings()).login); "
        f"time.sleep(max(0, {start_at} - time.time())); print(store.get())"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", **dvcqg_portal.settings()}
    root = Path(__file__).resolve().parents[2]
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=root, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err[-500:] for _, err in outputs]
    assert len({out.strip() for out, _ in outputs}) == 1
    assert time.time() >= start_at
    assert dvcqg_portal.logins == 1


def test_a_refused_login_fails_fast_for_everyone_and_names_the_reason(dvcqg_settings, dvcqg_portal, demo,
                                                                       media_root):
    import threading

    from apps.portal.dvcqg.client import LoginFailed

    dvcqg_portal.configure(wrong_password=True, delay=0.2)
    errors: list[str] = []

    def worker() -> None:
        try:
            _store().get()
        except LoginFailed as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 6 and dvcqg_portal.logins == 1  # no storm of wrong passwords
    assert "Sai tên đăng nhập" in errors[0]
    make_history(1, steps=0)
    outbox_drain()
    row = OutboxMessage.objects.get()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and "Sai tên đăng nhập" in row.last_error


# --- errors per record -------------------------------------------------------------------------


def test_a_batch_answer_marks_each_row_and_rejected_rows_end_dead_with_the_portals_message(
    dvcqg_settings, dvcqg_portal, demo, media_root, admin_client
):
    first, second, third = make_history(3, steps=2)  # 9 events, 3 per dossier
    # The portal refuses the first dossier's record (DongBoHoSoMC) and one progress entry of the second.
    dvcqg_portal.configure(reject_records={first.code})
    refused_progress = second.events.order_by("id")[1].pk
    dvcqg_portal.configure(reject_keys={str(refused_progress)})
    report = outbox_drain(max_batches=1)
    assert (report.delivered, report.failed) == (2, 1)  # one batch: each row judged on its own
    row = OutboxMessage.objects.get(event=first.events.order_by("id").first())
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "DongBoHoSoMC rejected" in row.last_error and "told to reject" in row.last_error
    for _ in range(8):
        outbox_drain()
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD).order_by("id")
    assert [r.event_id for r in dead] == [first.events.order_by("id").first().pk, refused_progress]
    assert "CapNhatTienDoHoSoMC rejected" in dead[1].last_error and {r.attempts for r in dead} == {3}
    # Order per dossier: nothing after a dead row went; the third dossier went through.
    assert {int(k) for k in dvcqg_portal.messages} == (
        {e.pk for e in third.events.all()} | {second.events.order_by("id").first().pk})
    # The administrator reads the message on the dead row, fixes what the portal refused, replays.
    page = admin_client.get(f"/admin/portal/outboxmessage/{dead[0].pk}/change/")
    assert b"told to reject" in page.content and b'name="payload"' in page.content
    dvcqg_portal.configure(reject_records=set(), reject_keys=set())
    assert outbox_replay() == 2
    drain_until_idle()
    assert_exactly_once_in_order(dvcqg_portal)


def test_an_administrator_corrects_a_refused_payload_and_replays_it(dvcqg_settings, dvcqg_portal, demo, media_root,
                                                                     admin_client):
    import json

    (dossier,) = make_history(1, steps=1)
    first = OutboxMessage.objects.filter(dossier=dossier).order_by("id").first()
    broken = {**first.payload, "MaTTHC": ""}  # e.g. a procedure imported without its national code
    OutboxMessage.objects.filter(pk=first.pk).update(payload=broken)
    for _ in range(4):
        outbox_drain()
    first.refresh_from_db()
    assert first.status == OutboxStatus.DEAD and "MaTTHC is required" in first.last_error
    delivered = OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED)
    assert not delivered.exists()
    url = f"/admin/portal/outboxmessage/{first.pk}/change/"
    response = admin_client.post(url, {"payload": json.dumps({**broken, "MaTTHC": "2.000488"})})
    assert response.status_code == 302, response.content[:2000]
    first.refresh_from_db()
    assert first.payload["MaTTHC"] == "2.000488" and first.status == OutboxStatus.DEAD
    admin_client.post("/admin/portal/outboxmessage/", {"action": "replay_dead", "_selected_action": [first.pk]})
    drain_until_idle()
    assert_exactly_once_in_order(dvcqg_portal)
    assert dvcqg_portal.records[dossier.code]["MaTTHC"] == "2.000488"
    # A delivered row stays read-only.
    page = admin_client.get(url)
    assert b'name="payload"' not in page.content


def test_a_call_that_times_out_after_the_portal_recorded_it_is_repeated_without_harm(
    dvcqg_settings, dvcqg_portal, demo, media_root
):
    dvcqg_settings.PORTAL_TIMEOUT = 0.3
    make_history(2, steps=1)
    _store().get()  # logged in already
    dvcqg_portal.configure(mode="timeout", timeout_seconds=0.6)
    report = outbox_drain()
    assert report.failed == 2 and "timed out" in OutboxMessage.objects.order_by("id").first().last_error
    assert len(dvcqg_portal.records) == 2  # the portal got the records; we never heard back
    dvcqg_portal.configure(mode="ok")
    OutboxMessage.objects.update(next_attempt_at=None)
    drain_until_idle()
    assert_exactly_once_in_order(dvcqg_portal)


def test_nothing_is_sent_without_an_adapter_url(dvcqg_settings, demo, media_root):
    dvcqg_settings.PORTAL_ADAPTER_URL = ""
    make_history(1, steps=0)
    assert outbox_drain().disabled
