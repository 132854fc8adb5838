"""The official forms in Vietnamese (the legal form, the default) and in English (its translation),
never mixed (issue 16): through the API with Accept-Language, and e-mailed in the applicant's language.

The applicant's data here are ASCII, so the English forms' text must hold no Vietnamese word at all
once the names the records hold (agencies, procedure, documents, staff, place) are taken out.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation

from apps.accounts.models import User
from apps.agencies.models import Agency
from apps.catalog.models import DocumentType
from apps.common.labels import action_label
from apps.documents.forms import CONTEXT, ENGLISH_FILE_STEMS, FILE_STEMS, Form
from apps.documents.models import DocumentMail
from apps.documents.templatetags.documents_pdf import vn_date, vn_datetime, vn_number, vn_short, vnd
from apps.dossiers.actions import SLIP_LABELS
from apps.dossiers.models import Dossier
from tests.dossier_fixtures import PDF, RECORD, RECORD_DOCS, multipart, vn
from tests.i18n.catalogues import load_po, looks_vietnamese

from .test_documents import PDFTOPPM, act, eager_celery, pdf_text, rasterise, save_artefact  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

NAME = "Nguyen Van Test"
ADDRESS = "12 Tran Phu Street, Pho Hien ward"
EMAIL = "nguyen.test@example.vn"
SUPPLEMENT_REASON = "The declaration lacks the residence history"
SUPPLEMENT_ITEM = "Residence history since age 14"
APOLOGY_REASON = "Checks with the provincial police took longer"
REFUSAL_REASON = "Outside this department's competence"
DATA = {SUPPLEMENT_ITEM, APOLOGY_REASON, REFUSAL_REASON}

HEADINGS = {
    Form.RECEIPT: ("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "RECEIPT OF DOSSIER AND APPOINTMENT FOR RESULTS"),
    Form.SUPPLEMENT_REQUEST: (
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "REQUEST TO SUPPLEMENT AND COMPLETE A DOSSIER"
    ),
    Form.REFUSAL: ("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "NOTICE OF REFUSAL TO ACCEPT OR PROCESS A DOSSIER"),
    Form.APOLOGY: ("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", "LETTER OF APOLOGY AND NEW APPOINTMENT FOR RESULTS"),
    Form.CONTROL_SLIP: ("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "DOSSIER PROCESSING CONTROL SLIP"),
}
#: Label words of the letterhead and the lines every form shares.
COMMON = {
    "vi": ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Mã hồ sơ:"],
    "en": ["SOCIALIST REPUBLIC OF VIET NAM", "Independence - Freedom - Happiness", "Dossier code:"],
}
NOTICE = "English translation for information: the Vietnamese form is the legally valid document."

# form -> fixture, the date line's date in each language, and what else each language prints.
CASES = {
    Form.RECEIPT: ("story", "ngày 17 tháng 11 năm 2025", "17 November 2025", {
        "vi": ["200.000 đồng", "7 ngày làm việc", "08 giờ 00 phút, ngày 17 tháng 11 năm 2025", "NGƯỜI NỘP HỒ SƠ",
               "Trực tiếp"],
        "en": ["Fees and charges: 200,000 VND", "7 working days", "Dossier received at: 08:00, 17 November 2025",
               "Results to be returned at:", "APPLICANT", "RECEIVING OFFICER", "(copies: 1)",
               "Submitted: At the counter", "Check the dossier's status"],
    }),
    Form.SUPPLEMENT_REQUEST: ("story", "ngày 18 tháng 11 năm 2025", "18 November 2025", {
        "vi": ["(nộp bổ sung)", "tạm dừng từ 10 giờ 00 phút, ngày 18 tháng 11 năm 2025"],
        "en": ["(to be supplied)", SUPPLEMENT_ITEM, "paused from 10:00, 18 November 2025", "please contact",
               "GUIDING OFFICER"],
    }),
    Form.REFUSAL: ("rejected", "ngày 17 tháng 11 năm 2025", "17 November 2025", {
        "vi": [REFUSAL_REASON, "Xin trân trọng thông báo!"],
        "en": [REFUSAL_REASON, "for the following reason:", "Respectfully notified."],
    }),
    Form.APOLOGY: ("story", "ngày 27 tháng 11 năm 2025", "27 November 2025", {
        "vi": [APOLOGY_REASON, "17 giờ 00 phút, ngày 05 tháng 12 năm 2025", "THỦ TRƯỞNG CƠ QUAN"],
        "en": [APOLOGY_REASON, "On 17 November 2025,", "on: 17:00, 5 December 2025", "HEAD OF THE AGENCY",
               "(Signature, full name and seal)"],
    }),
    Form.CONTROL_SLIP: ("story", "ngày 17 tháng 11 năm 2025", "17 November 2025", {
        "vi": ["Quá hạn", "Trả kết quả", "Bên giao", "Đã nộp 200.000 đồng (tại quầy)", "Người nộp hồ sơ"],
        "en": ["Late", "Results returned", "Handed over by", "Paid 200,000 VND (at the counter)", "Applicant",
               "Handed over for processing", "Amount: 200,000 VND", "transaction reference BL-7"],
    }),
}


def get_form(client, dossier_id: int, form: str, language: str | None, **params):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.get(f"/api/v1/dossiers/{dossier_id}/documents/{form}.pdf", params, **headers)


@pytest.fixture
def registered(as_user, clock, media_root):
    """A counter dossier for an applicant with an ASCII name, received Monday 17 Nov 2025 08:00."""
    clock.set(2025, 11, 17, 8, 0)
    payload = {**RECORD, "channel": "counter", "applicant": {
        "name": NAME, "id_number": "033190001234", "applicant_type": "citizen", "address": ADDRESS,
        "phone": "0912345678", "email": EMAIL,
    }}
    response = as_user("clerk_tuphap").post(
        "/api/v1/dossiers/register/", multipart(payload, {c: PDF for c in RECORD_DOCS}), format="multipart"
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


@pytest.fixture
def story(registered, as_user, clock):
    """Every kind of step the control slip writes a note for: supplement of a document type, payment,
    apology; late."""
    clerk, specialist, leader = as_user("clerk_tuphap"), as_user("specialist_tuphap"), as_user("leader_tuphap")
    clock.set(2025, 11, 17, 9, 0)
    act(clerk, registered, "assign", {"assignee": "specialist_tuphap"})
    clock.set(2025, 11, 18, 10, 0)
    act(specialist, registered, "request_supplement",
        {"reason": SUPPLEMENT_REASON, "items": [SUPPLEMENT_ITEM], "document_types": ["CCCD"]})
    clock.set(2025, 11, 20, 14, 0)
    response = clerk.post(f"/api/v1/dossiers/{registered}/supplement/",
                          multipart({"note": "Received"}, {"CCCD": PDF}), format="multipart")
    assert response.status_code == 200, response.json()
    clock.set(2025, 11, 21, 9, 0)
    act(clerk, registered, "request_payment", {"amount": "200000", "items": [{"name": "Fee", "amount": "200000"}]})
    act(clerk, registered, "confirm_payment", {"method": "counter", "reference": "BL-7"})
    clock.set(2025, 11, 27, 10, 0)
    act(leader, registered, "apologise", {"reason": APOLOGY_REASON, "new_appointment": "2025-12-05T17:00:00+07:00"})
    clock.set(2025, 12, 2, 9, 0)
    act(specialist, registered, "resolve", {"result": "approved", "note": "Issued"})
    clock.set(2025, 12, 3, 10, 30)
    act(clerk, registered, "return", {"method": "counter"})
    return registered


@pytest.fixture
def rejected(registered, as_user, clock):
    clock.set(2025, 11, 17, 10, 0)
    act(as_user("clerk_tuphap"), registered, "reject", {"reason": REFUSAL_REASON})
    return registered


def recorded_words(dossier: Dossier) -> set[str]:
    """The words of the names the records hold (printed as recorded, in Vietnamese): agencies with their
    parents and addresses, the procedure, its documents, the staff, the place."""
    texts = [dossier.procedure.name, *DocumentType.objects.filter(procedure=dossier.procedure)
             .values_list("name", flat=True)]
    for agency in Agency.objects.all():
        texts += [agency.name, agency.address]
    texts += [user.full_name for user in User.objects.all()]
    return {word for text in texts for word in _words(text)} | {word.upper() for text in texts for word in _words(text)}


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,.;:()\"“”–\-/]+", text or "") if w]


def foreign_words(text: str, dossier: Dossier) -> list[str]:
    """Words of `text` that look Vietnamese and are not the records' names."""
    known = recorded_words(dossier)
    return [w for w in _words(text) if looks_vietnamese(w) and w not in known]


# --- every form, in each language --------------------------------------------------------------


@pytest.mark.parametrize("form", list(CASES), ids=list(CASES))
@pytest.mark.parametrize("language", ["vi", "en", None], ids=["vi", "en", "default"])
def test_each_form_in_one_language(request, as_user, form, language):
    fixture, vi_date, en_date, expected = CASES[form]
    dossier_id = request.getfixturevalue(fixture)
    dossier = Dossier.objects.get(pk=dossier_id)
    response = get_form(as_user("clerk_tuphap"), dossier_id, form, language)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Language"] == (language or "vi")
    path = save_artefact(f"{form}-{language or 'default'}", response.content)
    if PDFTOPPM and language == "en":
        assert len(rasterise(path)) == 1  # the translation still fits on one sheet
    text = pdf_text(response.content)
    vietnamese, english = HEADINGS[form]
    assert dossier.code in text and NAME in text
    if language == "en":
        assert english in text and vietnamese not in text
        assert NOTICE in text
        assert f"Hưng Yên, {en_date}" in text  # the place is a recorded name
        for value in [*COMMON["en"], *expected["en"]]:
            assert value in text, value
        assert not any(value in text for value in COMMON["vi"])
        assert foreign_words(text, dossier) == []
        assert response["Content-Disposition"] == f'inline; filename="{ENGLISH_FILE_STEMS[form]}-{dossier.code}.pdf"'
    else:
        assert vietnamese in text and english not in text
        assert NOTICE not in text
        assert f"Hưng Yên, {vi_date}" in text
        for value in [*COMMON["vi"], *expected["vi"]]:
            assert value in text, value
        english_labels = [v for v in [*COMMON["en"], *expected["en"]] if v not in DATA]
        assert [value for value in english_labels if value in text] == []
        assert response["Content-Disposition"] == f'inline; filename="{FILE_STEMS[form]}-{dossier.code}.pdf"'


def test_a_same_day_procedure_reads_within_the_day(registered, as_user):
    Dossier.objects.filter(pk=registered).update(processing_days=0)
    clerk = as_user("clerk_tuphap")
    assert "Thời gian giải quyết hồ sơ theo quy định là: trong ngày" in pdf_text(
        get_form(clerk, registered, Form.RECEIPT, "vi").content)
    assert "Processing time set by the regulations: within the day" in pdf_text(
        get_form(clerk, registered, Form.RECEIPT, "en").content)
    Dossier.objects.filter(pk=registered).update(processing_days=1)
    assert "regulations: 1 working day " in pdf_text(get_form(clerk, registered, Form.RECEIPT, "en").content)


def test_a_form_not_available_is_a_problem_in_the_request_language(registered, as_user):
    clerk = as_user("clerk_tuphap")
    vietnamese = get_form(clerk, registered, Form.REFUSAL, "vi").json()
    english = get_form(clerk, registered, Form.REFUSAL, "en").json()
    assert vietnamese["detail"] == "Hồ sơ không bị từ chối, cũng không có kết quả từ chối giải quyết."
    assert english["detail"] == "The dossier was neither rejected nor resolved with a refusal."
    with translation.override("vi"):
        vietnamese_label = action_label("apologise")
    assert get_form(clerk, registered, Form.APOLOGY, "vi").json()["detail"] == (
        f"Hồ sơ này không có sự kiện “{vietnamese_label}”."
    )
    assert get_form(clerk, registered, Form.APOLOGY, "en").json()["detail"] == (
        "This dossier has no “Apologise and reschedule” event."
    )


# --- e-mail in the applicant's language ------------------------------------------------------------


def _attachment(message) -> tuple[str, bytes]:
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf"
    return name, content


@pytest.mark.usefixtures("eager_celery")
def test_the_receipt_is_mailed_in_the_applicants_language(submit, as_user,
                                                          django_capture_on_commit_callbacks):
    User.objects.filter(username="citizen1").update(language="en")
    dossier_id = submit(applicant={
        "name": NAME, "id_number": "001190012345", "applicant_type": "citizen", "email": EMAIL,
    }).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        # The clerk works in Vietnamese: the applicant still reads English.
        response = as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json",
                                                HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code == 200
    (message,) = mail.outbox
    dossier = Dossier.objects.get(pk=dossier_id)
    name, content = _attachment(message)
    assert name == f"receipt-{dossier.code}.pdf"
    text = pdf_text(content)
    assert HEADINGS[Form.RECEIPT][1] in text and NOTICE in text and HEADINGS[Form.RECEIPT][0] not in text
    assert "Submitted: Online" in text
    assert foreign_words(text, dossier) == []
    assert foreign_words(message.subject + " " + message.body, dossier) == []
    assert DocumentMail.objects.get(dossier=dossier).sent_at is not None


@pytest.mark.usefixtures("eager_celery")
def test_a_counter_applicant_without_an_account_is_mailed_in_vietnamese(as_user, clock, media_root,
                                                                        django_capture_on_commit_callbacks):
    clock.set(2025, 11, 17, 8, 0)
    payload = {**RECORD, "channel": "counter",
               "applicant": {"name": NAME, "id_number": "033190001234", "applicant_type": "citizen", "email": EMAIL}}
    with django_capture_on_commit_callbacks(execute=True):
        # The clerk's screen is in English: the applicant, with no account, reads Vietnamese.
        response = as_user("clerk_tuphap").post(
            "/api/v1/dossiers/register/", multipart(payload, {c: PDF for c in RECORD_DOCS}), format="multipart",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 201, response.json()
    (message,) = mail.outbox
    dossier = Dossier.objects.get(pk=response.json()["id"])
    assert dossier.applicant is None
    name, content = _attachment(message)
    assert name == f"giay-tiep-nhan-{dossier.code}.pdf"
    text = pdf_text(content)
    assert HEADINGS[Form.RECEIPT][0] in text and HEADINGS[Form.RECEIPT][1] not in text and NOTICE not in text
    assert "Kính gửi" in message.body


@pytest.mark.usefixtures("eager_celery")
def test_the_apology_is_mailed_in_english_to_an_english_reader(submit, as_user, clock,
                                                               django_capture_on_commit_callbacks):
    User.objects.filter(username="citizen1").update(language="en")
    clock.set(2025, 11, 17, 8, 0)
    dossier_id = submit(applicant={
        "name": NAME, "id_number": "001190012345", "applicant_type": "citizen", "email": EMAIL,
    }).json()["id"]
    act(as_user("clerk_tuphap"), dossier_id, "accept")
    clock.set(2025, 11, 25, 10, 0)
    with django_capture_on_commit_callbacks(execute=True):
        act(as_user("leader_tuphap"), dossier_id, "apologise",
            {"reason": APOLOGY_REASON, "new_appointment": "2025-12-05T17:00:00+07:00"})
    message = mail.outbox[-1]
    name, content = _attachment(message)
    assert name.startswith("apology-")
    text = pdf_text(content)
    assert HEADINGS[Form.APOLOGY][1] in text and "on: 17:00, 5 December 2025" in text
    assert foreign_words(text + " " + message.subject + " " + message.body, Dossier.objects.get(pk=dossier_id)) == []


# --- formats and catalogue ---------------------------------------------------------------------------


def test_formats_follow_the_active_language():
    at = vn(2026, 11, 29, 7, 5)
    with translation.override("vi"):
        assert vn_date(at) == "ngày 29 tháng 11 năm 2026"
        assert vn_datetime(at) == "07 giờ 05 phút, ngày 29 tháng 11 năm 2026"
        assert (vnd(1234000), vn_number(0.5), vn_short(at)) == ("1.234.000 đồng", "0,5", "07:05 29/11/2026")
    with translation.override("en"):
        assert (vn_date(at), vn_datetime(at)) == ("29 November 2026", "07:05, 29 November 2026")
        assert (vnd(1234000), vn_number(0.5), vn_short(at)) == ("1,234,000 VND", "0.5", "07:05 29/11/2026")
        assert vn_date(vn(2026, 1, 5, 0, 0)) == "5 January 2026"


APP = Path(__file__).resolve().parents[2] / "apps" / "documents"
TEMPLATE_TEXTS = re.compile(r'\{% translate "((?:[^"\\]|\\.)*)" context "official form"|'
                            r"\{% blocktranslate [^%]*context \"official form\" %\}(.*?)\{% endblocktranslate %\}")


def form_texts() -> set[str]:
    """Every official-form text: the templates' (translate and blocktranslate), the Python ones
    (pgettext/pgettext_lazy with the forms' context, form_text), and the control slip's step labels."""
    texts: set[str] = set(SLIP_LABELS.values())
    for template in (APP / "templates" / "documents" / "pdf").glob("*.xml"):
        for single, block in TEMPLATE_TEXTS.findall(template.read_text(encoding="utf-8")):
            texts.add(single.replace('\\"', '"') if single else re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", block))
    for source in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            arguments = {"pgettext": node.args[1:2], "pgettext_lazy": node.args[1:2], "form_text": node.args[:1]}
            for argument in arguments.get(name, []):
                for constant in ast.walk(argument):  # a literal, or either side of a conditional
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                        texts.add(constant.value)
    return texts


def test_every_form_text_has_an_english_translation():
    texts = form_texts()
    assert len(texts) > 80  # the scan finds them
    assert "Độc lập - Tự do - Hạnh phúc" in texts and "Đã nộp %(amount)s (tại quầy)" in texts
    english = load_po("en")
    missing = sorted(text for text in texts if not english.get(f"{CONTEXT}\x04{text}"))
    assert missing == []
    mixed = sorted(text for text in texts if looks_vietnamese(english[f"{CONTEXT}\x04{text}"]))
    assert mixed == []


def test_the_forms_names_follow_the_active_language():
    with translation.override("en"):
        assert str(Form.RECEIPT.label) == "Receipt of dossier and appointment for results"
    with translation.override("vi"):
        assert str(Form.RECEIPT.label) == "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
