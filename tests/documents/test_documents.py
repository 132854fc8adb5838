"""Official one-stop forms as PDF (issue 8): content, QR, availability, visibility, e-mail.

Every rendered PDF is also written to artifacts/documents/ (git-ignored), with a PNG of each page
when pdftoppm is installed, so a person can look at them.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import current_app
from django.core import mail
from pypdf import PdfReader

from apps.accounts.models import User
from apps.documents.forms import Form
from apps.documents.models import DocumentMail
from apps.documents.selectors import document_context, lookup_url, mask_id_number, place_name
from apps.documents.services import document_mail_retry_pending, document_mail_send
from apps.documents.templatetags.documents_pdf import vn_datetime, vn_number, vnd
from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.services import Caller, dossier_reject
from tests.dossier_fixtures import PDF, RECORD, RECORD_DOCS, multipart, vn

pytestmark = pytest.mark.django_db

ARTEFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"
PDFTOPPM = shutil.which("pdftoppm")
needs_pdftoppm = pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")

# Long, diacritic-heavy, in NFC (the API stores NFC): every tone mark and ă â đ ê ô ơ ư.
LONG_NAME = "Tôn Nữ Thị Huyền Trang Nguyễn Phước Bửu Châu Ngọc Diễm Kiều Hạnh Dương Đặng Vĩnh Tường Ỷ Lan"
LONG_ADDRESS = (
    "Số 18, ngõ 215 đường Nguyễn Văn Cừ, khu phố Đông Thành, phường Hiến Nam, thành phố Hưng Yên, "
    "tỉnh Hưng Yên (tổ dân phố số 7, gần chợ Phố Hiến cũ, cổng phía đông, nhà có giàn hoa giấy đỏ thẫm)"
)
ID_NUMBER = "033190001234"
EMAIL = "huyen.trang@example.vn"
SUPPLEMENT_ITEMS = [
    "Bản sao Căn cước công dân có chứng thực (còn thời hạn sử dụng)",
    "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp: bổ sung mục quá trình cư trú từ năm 14 tuổi",
]
APOLOGY_REASON = "Cần xác minh thêm thông tin lý lịch tại Công an tỉnh Thái Bình và Sở Tư pháp tỉnh Nghệ An"
REFUSAL_REASON = "Hồ sơ không thuộc thẩm quyền giải quyết của Sở Tư pháp tỉnh Hưng Yên; đề nghị nộp tại nơi thường trú"


def pdf_text(content: bytes) -> str:
    """All pages' text, whitespace collapsed (a long value may wrap at a space)."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def save_artefact(name: str, content: bytes) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.pdf"
    path.write_bytes(content)
    return path


def rasterise(path: Path, dpi: int = 110) -> list[Path]:
    """PNG pages next to the PDF (pdftoppm); returns them in order."""
    for old in path.parent.glob(f"{path.stem}-*.png"):
        old.unlink()
    subprocess.run([PDFTOPPM, "-png", "-r", str(dpi), str(path), str(path.with_suffix(""))], check=True)
    return sorted(path.parent.glob(f"{path.stem}-*.png"))


def act(client, dossier_id: int, action: str, body: dict | None = None):
    response = client.post(f"/api/v1/dossiers/{dossier_id}/{action}/", body or {}, format="json")
    assert response.status_code == 200, response.json()
    return response


def get_form(client, dossier_id: int, form: str, **params):
    return client.get(f"/api/v1/dossiers/{dossier_id}/documents/{form}.pdf", params)


@pytest.fixture
def eager_celery():
    """Run Celery tasks in-process (the tasks `.delay()`ed by on-commit callbacks)."""
    before = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = before


@pytest.fixture
def registered(as_user, clock, media_root):
    """A counter dossier for the long name and address, received Monday 17 Nov 2025 08:00."""
    clock.set(2025, 11, 17, 8, 0)
    payload = {
        **RECORD,
        "channel": "counter",
        "applicant": {
            "name": LONG_NAME, "id_number": ID_NUMBER, "applicant_type": "citizen", "address": LONG_ADDRESS,
            "phone": "0912345678", "email": EMAIL,
        },
    }
    response = as_user("clerk_tuphap").post(
        "/api/v1/dossiers/register/", multipart(payload, {c: PDF for c in RECORD_DOCS}), format="multipart"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.fixture
def story(registered, as_user, clock):
    """The registered dossier taken through a whole, late, history."""
    clerk, specialist, leader = as_user("clerk_tuphap"), as_user("specialist_tuphap"), as_user("leader_tuphap")
    clock.set(2025, 11, 17, 9, 0)
    act(clerk, registered, "assign", {"assignee": "specialist_tuphap"})
    clock.set(2025, 11, 18, 10, 0)
    act(specialist, registered, "request_supplement", {
        "reason": "Thiếu giấy tờ chứng minh nhân thân; tờ khai chưa ghi đủ quá trình cư trú", "items": SUPPLEMENT_ITEMS,
    })
    clock.set(2025, 11, 20, 14, 0)
    act(clerk, registered, "supplement", {"note": "Đã nhận đủ bản sao"})
    clock.set(2025, 11, 27, 10, 0)
    act(leader, registered, "apologise", {"reason": APOLOGY_REASON, "new_appointment": "2025-12-05T17:00:00+07:00"})
    clock.set(2025, 12, 2, 9, 0)
    act(specialist, registered, "resolve", {"result": "approved", "note": "Đã cấp Phiếu lý lịch tư pháp số 1"})
    clock.set(2025, 12, 3, 10, 30)
    act(clerk, registered, "return", {"method": "counter"})
    return registered


@pytest.fixture
def rejected(registered, as_user, clock):
    clock.set(2025, 11, 17, 10, 0)
    act(as_user("clerk_tuphap"), registered, "reject", {"reason": REFUSAL_REASON})
    return registered


# --- every form ---------------------------------------------------------------------------------

FORM_CASES = [
    # form, dossier fixture, strings that must be in the text beside the name and address
    (Form.RECEIPT, "story", ["GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Sở Tư pháp", "200.000 đồng",
                             "Lê Thị Hồng", "08 giờ 00 phút, ngày 17 tháng 11 năm 2025", "********1234"]),
    (Form.SUPPLEMENT_REQUEST, "story", ["PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", *SUPPLEMENT_ITEMS,
                                        "Đỗ Quang Huy"]),
    (Form.REFUSAL, "rejected", ["PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", REFUSAL_REASON]),
    (Form.APOLOGY, "story", ["PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", APOLOGY_REASON,
                             "17 giờ 00 phút, ngày 05 tháng 12 năm 2025", "Hoàng Minh Tuấn"]),
    (Form.CONTROL_SLIP, "story", ["PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Đỗ Quang Huy", "Quá hạn",
                                  "Trả kết quả"]),
]


@pytest.mark.parametrize(("form", "fixture", "expected"), FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_each_form_renders_the_records_in_vietnamese(request, as_user, form, fixture, expected):
    dossier_id = request.getfixturevalue(fixture)
    response = get_form(as_user("clerk_tuphap"), dossier_id, form)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    path = save_artefact(form, content)  # before the checks, so a failing form can be looked at
    pages = rasterise(path) if PDFTOPPM else None
    text = pdf_text(content)
    assert unicodedata.is_normalized("NFC", text)
    code = Dossier.objects.get(pk=dossier_id).code
    address = [LONG_ADDRESS] if form != Form.CONTROL_SLIP else []  # the slip names the applicant only
    for value in [code, LONG_NAME, *address, *expected]:
        assert value in text, value
    assert ID_NUMBER not in text  # the lookup's second factor never goes on paper
    assert page_count(content) == 1
    reader = PdfReader(io.BytesIO(content))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()
             for f in [f.get_object()["/BaseFont"]]}
    # Only the bundled faces, embedded as subsets ("ABCDEF+LiberationSerif"): no font the reader must supply.
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+LiberationSerif(-Bold|-Italic)?", f) for f in fonts), fonts
    assert pages is None or len(pages) == 1


def test_the_forms_headers_come_from_the_agency_data(story, as_user):
    text = pdf_text(get_form(as_user("clerk_tuphap"), story, Form.RECEIPT).content)
    assert "ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN" in text  # parent agency
    assert "SỞ TƯ PHÁP" in text
    assert "Số 437 đường Nguyễn Văn Linh, phường Phố Hiến, tỉnh Hưng Yên" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Hưng Yên, ngày 17 tháng 11 năm 2025" in text


@needs_pdftoppm
def test_the_receipt_qr_opens_the_public_lookup(story, as_user, api, settings):
    import zxingcpp
    from PIL import Image

    content = get_form(as_user("clerk_tuphap"), story, Form.RECEIPT).content
    path = save_artefact("receipt-qr", content)
    (png,) = rasterise(path, dpi=200)
    results = zxingcpp.read_barcodes(Image.open(png))
    qr = [r for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(qr) == 1
    dossier = Dossier.objects.get(pk=story)
    expected = f"{settings.PUBLIC_BASE_URL}/tra-cuu/?ma={quote(dossier.code)}"
    assert qr[0].text == expected == lookup_url(dossier.code)
    # The URL is the citizens' lookup page with the code filled in; with the ID number it answers.
    page = api.get(expected.removeprefix(settings.PUBLIC_BASE_URL))
    assert page.status_code == 200
    assert f'name="ma" value="{dossier.code}"' in page.content.decode()
    found = api.post("/tra-cuu/", {"ma": dossier.code, "so_giay_to": ID_NUMBER}, format="multipart")
    assert found.status_code == 200
    assert 'id="result"' in found.content.decode() and dossier.code in found.content.decode()


def test_a_long_history_flows_onto_more_pages(registered, as_user, clock):
    clerk = as_user("clerk_tuphap")
    for i in range(30):
        clock.set(2025, 11, 17, 9, 0)
        clock.now += timedelta(minutes=i)
        act(clerk, registered, "assign", {"assignee": "specialist_tuphap" if i % 2 else "clerk_tuphap"})
    content = get_form(clerk, registered, Form.CONTROL_SLIP).content
    pages = page_count(content)
    assert pages == 2
    reader = PdfReader(io.BytesIO(content))
    second = reader.pages[1].extract_text()
    assert "Bên giao" in second  # the table header repeats
    assert "Trang 2" in second
    path = save_artefact("control_slip-long", content)
    if PDFTOPPM:
        assert len(rasterise(path)) == 2


# --- control slip: per-step timeliness -----------------------------------------------------------


def test_control_slip_classes_each_step_against_the_due_time_in_force(story):
    dossier = Dossier.objects.get(pk=story)
    steps = document_context(dossier, Form.CONTROL_SLIP)["steps"]
    assert [s.action for s in steps] == [
        "register", "assign", "request_supplement", "supplement", "apologise", "resolve", "return",
    ]
    events = {e.action: e for e in DossierEvent.objects.filter(dossier=dossier)}
    due_received = vn(2025, 11, 26, 8, 0)  # 7 working days from Monday 08:00
    assert events["register"].payload["due_at"] == due_received.isoformat()
    due_after = Dossier.objects.get(pk=story).due_at
    assert due_after > due_received  # the supplement pause moved it
    by_action = {s.action: s for s in steps}
    assert by_action["register"].timeliness == ""  # reception: not classed
    assert by_action["assign"].timeliness == "early"
    assert by_action["assign"].due == due_received
    assert by_action["request_supplement"].timeliness == "early"
    assert by_action["supplement"].timeliness == ""  # the applicant's time, clock stopped
    assert by_action["apologise"].due == due_after  # the moved due time, not the apology's date
    assert by_action["resolve"].timeliness == "late" == dossier.timeliness
    assert by_action["return"].timeliness == "late"
    assert by_action["assign"].giver == "Lê Thị Hồng" and by_action["assign"].receiver == "Đỗ Quang Huy"
    assert by_action["request_supplement"].receiver == "Người nộp hồ sơ"  # named in full in the header
    assert by_action["supplement"].receiver == "Đỗ Quang Huy"  # back to whoever held it
    assert by_action["register"].giver == "Người nộp hồ sơ"


def test_control_slip_names_the_agencies_of_a_transfer(registered, as_user, clock, transfer_target):
    clock.set(2025, 11, 17, 9, 0)
    act(as_user("clerk_tuphap"), registered, "transfer", {"agency": "000.00.12.H29", "reason": "Liên thông"})
    dossier = Dossier.objects.get(pk=registered)
    context = document_context(dossier, Form.CONTROL_SLIP)
    transfer = context["steps"][-1]
    assert transfer.action == "transfer"
    assert transfer.receiver == "Sở Tài chính"
    assert "Sở Tư pháp" in transfer.giver
    assert transfer.timeliness == "early"
    assert context["handling_agency"] == "Sở Tài chính"


# --- availability and visibility ----------------------------------------------------------------


def _assert_problem_404(response):
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("form", [Form.SUPPLEMENT_REQUEST, Form.REFUSAL, Form.APOLOGY])
def test_a_form_for_a_state_never_reached_is_a_404_problem(registered, as_user, form):
    _assert_problem_404(get_form(as_user("clerk_tuphap"), registered, form))


def test_a_dossier_not_yet_received_has_no_receipt_or_slip(submit, as_user):
    response = submit()
    assert response.status_code == 201
    dossier_id = response.json()["id"]
    for form in (Form.RECEIPT, Form.CONTROL_SLIP, Form.REFUSAL):
        _assert_problem_404(get_form(as_user("clerk_tuphap"), dossier_id, form))


def test_a_refusal_at_intake_has_a_refusal_but_no_receipt(submit, as_user):
    dossier_id = submit().json()["id"]
    act(as_user("clerk_tuphap"), dossier_id, "reject", {"reason": "Hồ sơ giả mạo chữ ký"})
    clerk = as_user("clerk_tuphap")
    text = pdf_text(get_form(clerk, dossier_id, Form.REFUSAL).content)
    assert "Hồ sơ giả mạo chữ ký" in text and "không tiếp nhận" in text
    _assert_problem_404(get_form(clerk, dossier_id, Form.RECEIPT))


def test_unknown_forms_and_bad_event_ids(story, as_user, submit):
    clerk = as_user("clerk_tuphap")
    _assert_problem_404(get_form(clerk, story, "invoice"))
    assert get_form(clerk, story, Form.APOLOGY, event="abc").status_code == 400
    other = DossierEvent.objects.get(dossier_id=submit().json()["id"])  # another dossier's event
    _assert_problem_404(get_form(clerk, story, Form.APOLOGY, event=other.pk))
    assign = DossierEvent.objects.get(dossier_id=story, action="assign")
    _assert_problem_404(get_form(clerk, story, Form.APOLOGY, event=assign.pk))  # not an apology


def test_two_apologies_latest_by_default(registered, as_user, clock):
    leader = as_user("leader_tuphap")
    clock.set(2025, 11, 25, 10, 0)
    act(leader, registered, "apologise", {"reason": "Lần thứ nhất", "new_appointment": "2025-12-01T17:00:00+07:00"})
    clock.set(2025, 11, 28, 10, 0)
    act(leader, registered, "apologise", {"reason": "Lần thứ hai", "new_appointment": "2025-12-08T17:00:00+07:00"})
    first, second = DossierEvent.objects.filter(dossier_id=registered, action="apologise").order_by("id")
    latest = pdf_text(get_form(leader, registered, Form.APOLOGY).content)
    assert "Lần thứ hai" in latest and "ngày 08 tháng 12 năm 2025" in latest
    assert "ngày 01 tháng 12 năm 2025" in latest  # the previous appointment it moves
    earlier = pdf_text(get_form(leader, registered, Form.APOLOGY, event=first.pk).content)
    assert "Lần thứ nhất" in earlier and "Lần thứ hai" not in earlier
    assert second.pk != first.pk


def test_only_who_may_see_the_dossier_gets_its_forms(submit, as_user, api):
    dossier_id = submit(applicant={
        "name": LONG_NAME, "id_number": "001190012345", "applicant_type": "citizen", "address": LONG_ADDRESS,
    }).json()["id"]
    act(as_user("clerk_tuphap"), dossier_id, "accept")
    for username in ("citizen1", "clerk_tuphap", "specialist_tuphap", "leader_tuphap"):
        response = get_form(as_user(username), dossier_id, Form.RECEIPT)
        assert response.status_code == 200, username
        assert LONG_NAME in pdf_text(response.content)
    for username in ("citizen2", "clerk_xuanquan"):
        _assert_problem_404(get_form(as_user(username), dossier_id, Form.RECEIPT))
    anonymous = get_form(api, dossier_id, Form.RECEIPT)
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"].startswith("application/problem+json")


def test_a_client_asking_for_pdf_gets_problems_as_json(as_user, registered):
    response = as_user("clerk_tuphap").get(
        f"/api/v1/dossiers/{registered}/documents/{Form.APOLOGY}.pdf", HTTP_ACCEPT="application/pdf"
    )
    _assert_problem_404(response)
    ok = as_user("clerk_tuphap").get(
        f"/api/v1/dossiers/{registered}/documents/{Form.RECEIPT}.pdf", HTTP_ACCEPT="application/pdf"
    )
    assert ok.status_code == 200 and ok["Content-Type"] == "application/pdf"
    assert 'filename="giay-tiep-nhan-' in ok["Content-Disposition"]


# --- e-mail ---------------------------------------------------------------------------------------


def _pdf_attachment(message) -> tuple[str, bytes]:
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf"
    return name, content


def test_the_receipt_is_emailed_once_after_accept(submit, as_user, eager_celery, django_capture_on_commit_callbacks):
    dossier_id = submit(applicant={
        "name": LONG_NAME, "id_number": "001190012345", "applicant_type": "citizen", "email": EMAIL,
    }).json()["id"]
    assert not DocumentMail.objects.exists()  # submission issues nothing
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        act(as_user("clerk_tuphap"), dossier_id, "accept")
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) >= 1
    (message,) = mail.outbox
    assert message.to == [EMAIL]
    code = Dossier.objects.get(pk=dossier_id).code
    assert code in message.subject
    name, content = _pdf_attachment(message)
    assert name == f"giay-tiep-nhan-{code}.pdf"
    text = pdf_text(content)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text and LONG_NAME in text
    row = DocumentMail.objects.get()
    assert row.form == Form.RECEIPT and row.sent_at is not None and row.attempts == 1
    assert row.event.action == "accept"
    # A retried or duplicated task does not send it again.
    assert document_mail_send(mail_id=row.pk) is False
    assert document_mail_retry_pending(older_than=timedelta(0)) == 0
    assert len(mail.outbox) == 1


def test_a_counter_registration_emails_the_receipt(as_user, clock, media_root, eager_celery,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        registered = _register(as_user, clock)
    (message,) = mail.outbox
    assert message.to == [EMAIL]
    assert DocumentMail.objects.get().event.dossier_id == registered


def _register(as_user, clock, email: str = EMAIL) -> int:
    clock.set(2025, 11, 17, 8, 0)
    payload = {**RECORD, "channel": "counter",
               "applicant": {"name": LONG_NAME, "id_number": ID_NUMBER, "applicant_type": "citizen", "email": email}}
    response = as_user("clerk_tuphap").post(
        "/api/v1/dossiers/register/", multipart(payload, {c: PDF for c in RECORD_DOCS}), format="multipart"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_the_apology_is_emailed(registered, as_user, clock, eager_celery, django_capture_on_commit_callbacks):
    clock.set(2025, 11, 27, 10, 0)
    with django_capture_on_commit_callbacks(execute=True):
        act(as_user("leader_tuphap"), registered, "apologise",
            {"reason": APOLOGY_REASON, "new_appointment": "2025-12-05T17:00:00+07:00"})
    (message,) = mail.outbox
    name, content = _pdf_attachment(message)
    assert name.startswith("phieu-xin-loi-")
    text = pdf_text(content)
    assert APOLOGY_REASON in text and "17 giờ 00 phút, ngày 05 tháng 12 năm 2025" in text
    assert DocumentMail.objects.filter(form=Form.APOLOGY, sent_at__isnull=False).count() == 1


def test_no_mail_without_an_address_or_for_other_actions(
    as_user, clock, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier_id = _register(as_user, clock, email="")
        act(as_user("clerk_tuphap"), dossier_id, "assign", {"assignee": "specialist_tuphap"})
    assert not DocumentMail.objects.exists()
    assert mail.outbox == []


def test_a_failed_send_is_retried_later_and_sent_once(registered, monkeypatch):
    row = DocumentMail.objects.get(dossier_id=registered)  # written in the registration's transaction
    assert row.sent_at is None

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    with pytest.raises(ConnectionRefusedError):
        document_mail_send(mail_id=row.pk)
    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1 and "smtp down" in row.last_error
    monkeypatch.undo()

    queued: list[int] = []
    monkeypatch.setattr("apps.documents.services._enqueue", queued.append)
    assert document_mail_retry_pending(older_than=timedelta(0)) == 1
    assert queued == [row.pk]
    assert document_mail_send(mail_id=row.pk) is True
    assert document_mail_send(mail_id=row.pk) is False
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2


# --- small pieces -------------------------------------------------------------------------------


def test_formats():
    assert vnd(200000) == "200.000 đồng"
    assert vnd(0) == "0 đồng"
    assert vn_number(7) == "7" and vn_number(0.5) == "0,5"
    assert vn_datetime(vn(2025, 1, 2, 7, 5)) == "07 giờ 05 phút, ngày 02 tháng 01 năm 2025"
    assert mask_id_number("001190012345") == "********2345"
    assert mask_id_number("123") == "***"


def test_place_name(demo, settings):
    from apps.agencies.models import Agency

    commune = Agency.objects.get(code="000.31.01.H29")
    assert place_name(commune) == "Hưng Yên"
    settings.DOCUMENTS_PLACE = "Phố Hiến"
    assert place_name(commune) == "Phố Hiến"


def test_a_broken_template_is_reported():
    from apps.documents.pdf import TemplateError, render_layout

    with pytest.raises(TemplateError):
        render_layout("<document><marquee/></document>")
    with pytest.raises(TemplateError):
        render_layout("<document><p>unclosed</document>")
    assert render_layout('<document title="x"><p align="center">Xin chào Việt Nam</p></document>').startswith(b"%PDF")


# --- text stored before the API refused control characters (issue 14, item 3) ---------------------

STORED_NAME = "Nguyễn Văn\u0007 Bảy\u000b\u001b\ufffe\uffff"  # BEL, VT, ESC and two non-characters
STORED_REASON = "Thiếu\u001b giấy\ufffe tờ\u0007 hợp lệ\uffff"


def test_forms_and_mail_render_text_with_control_characters_already_stored(registered, as_user, clock):
    """The API refuses these characters now; rows written before (or by other paths) must still
    render: the forms answered 500 and the receipt mail failed on every retry while they held them."""
    clock.set(2025, 11, 17, 10, 0)
    Dossier.objects.filter(pk=registered).update(applicant_name=STORED_NAME,
                                                 applicant_address="Số 18\u0007, ngõ 215\uffff")
    # The history is append-only: the reason goes in through the service, past the API's checks.
    dossier_reject(dossier_id=registered, caller=Caller.for_user(User.objects.get(username="clerk_tuphap")),
                   reason=STORED_REASON, expected_version=None)
    assert DossierEvent.objects.get(dossier_id=registered, action="reject").payload["reason"] == STORED_REASON
    clerk = as_user("clerk_tuphap")

    for form in (Form.RECEIPT, Form.CONTROL_SLIP, Form.REFUSAL):
        response = get_form(clerk, registered, form)
        assert response.status_code == 200, (form, response.content[:300])
        text = pdf_text(response.content)
        assert "Nguyễn Văn Bảy" in text, form
    assert "Thiếu giấy tờ hợp lệ" in pdf_text(get_form(clerk, registered, Form.REFUSAL).content)

    row = DocumentMail.objects.get(dossier_id=registered, form=Form.RECEIPT)  # logged at registration
    assert document_mail_send(mail_id=row.pk) is True
    (message,) = mail.outbox
    assert "Kính gửi Nguyễn Văn Bảy," in message.body
    assert "Nguyễn Văn Bảy" in pdf_text(_pdf_attachment(message)[1])
    row.refresh_from_db()
    assert row.sent_at is not None and row.last_error == ""
