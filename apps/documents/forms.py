"""The one-stop forms this app prints (Circular 01/2018/TT-VPCP, annex: forms 01-05).

One template per form under ``templates/documents/pdf/<slug>.xml``; the slug is also the URL
segment (``/documents/<slug>.pdf``) and the value stored in the sent log.
"""
from django.db import models


class Form(models.TextChoices):
    RECEIPT = "receipt", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
    SUPPLEMENT_REQUEST = "supplement_request", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"
    REFUSAL = "refusal", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"
    APOLOGY = "apology", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"
    CONTROL_SLIP = "control_slip", "Phiếu kiểm soát quá trình giải quyết hồ sơ"


#: File names offered for download and as e-mail attachments (ASCII, no diacritics).
FILE_STEMS: dict[str, str] = {
    Form.RECEIPT: "giay-tiep-nhan",
    Form.SUPPLEMENT_REQUEST: "phieu-yeu-cau-bo-sung",
    Form.REFUSAL: "phieu-tu-choi",
    Form.APOLOGY: "phieu-xin-loi",
    Form.CONTROL_SLIP: "phieu-kiem-soat",
}


def file_name(form: str, code: str) -> str:
    return f"{FILE_STEMS[form]}-{code}.pdf"
