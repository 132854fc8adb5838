"""The one-stop forms this app prints (Circular 01/2018/TT-VPCP, annex: forms 01-05).

One template per form under ``templates/documents/pdf/<slug>.xml``; the slug is also the URL
segment (``/documents/<slug>.pdf``) and the value stored in the sent log.
"""
from django.db import models
from django.utils.translation import pgettext_lazy

from .templatetags.documents_pdf import in_vietnamese

#: The gettext context of the forms' texts (templates, names, the few built in Python): written in
#: Vietnamese, their English in locale/en; a context of their own because the official wording may
#: differ from the pages' for the same Vietnamese words.
CONTEXT = "official form"


class Form(models.TextChoices):
    RECEIPT = "receipt", pgettext_lazy(CONTEXT, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    SUPPLEMENT_REQUEST = "supplement_request", pgettext_lazy(CONTEXT, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL = "refusal", pgettext_lazy(CONTEXT, "Phiếu từ chối tiếp nhận giải quyết hồ sơ")
    APOLOGY = "apology", pgettext_lazy(CONTEXT, "Phiếu xin lỗi và hẹn lại ngày trả kết quả")
    CONTROL_SLIP = "control_slip", pgettext_lazy(CONTEXT, "Phiếu kiểm soát quá trình giải quyết hồ sơ")


#: File names offered for download and as e-mail attachments (ASCII, no diacritics), per language.
FILE_STEMS: dict[str, str] = {
    Form.RECEIPT: "giay-tiep-nhan",
    Form.SUPPLEMENT_REQUEST: "phieu-yeu-cau-bo-sung",
    Form.REFUSAL: "phieu-tu-choi",
    Form.APOLOGY: "phieu-xin-loi",
    Form.CONTROL_SLIP: "phieu-kiem-soat",
}
ENGLISH_FILE_STEMS: dict[str, str] = {
    Form.RECEIPT: "receipt",
    Form.SUPPLEMENT_REQUEST: "supplement-request",
    Form.REFUSAL: "refusal",
    Form.APOLOGY: "apology",
    Form.CONTROL_SLIP: "control-slip",
}


def file_name(form: str, code: str) -> str:
    """The file's name in the active language."""
    stems = FILE_STEMS if in_vietnamese() else ENGLISH_FILE_STEMS
    return f"{stems[form]}-{code}.pdf"
