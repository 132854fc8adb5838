"""What the admin and the forms call each app, model and field, in Vietnamese (the gettext msgid;
locale/en holds the English).

Kept in one table rather than spread over every models.py: translators see every name at once, and
names applied at start-up (`apply_verbose_names`) are runtime attributes, so renaming one never
touches the migration history. tests/i18n/test_verbose_names.py checks that every app, model and
field of ours is named here and has an English text.
"""
from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy

APP_NAMES = {
    "common": "Dùng chung",
    "accounts": "Tài khoản",
    "agencies": "Cơ quan, đơn vị",
    "catalog": "Danh mục thủ tục hành chính",
    "workcalendar": "Lịch làm việc",
    "dossiers": "Hồ sơ",
    "portal": "Đồng bộ Cổng Dịch vụ công quốc gia",
    "notifications": "Thông báo (thư điện tử, SMS) và tác vụ theo hạn",
    "ratings": "Đánh giá mức độ hài lòng",
    "stats": "Thống kê",
    "documents": "Biểu mẫu một cửa (PDF)",
    "audit": "Nhật ký kiểm tra",
    "dashboard": "Bảng điều khiển thống kê",
    "ops": "Vận hành",
    "workbench": "Bàn làm việc một cửa",
    "public": "Trang công khai",
    "payments": "Thanh toán trực tuyến",
    "identity": "Định danh điện tử (VNeID)",
}

# "app_label.ModelName": (singular, plural)
MODEL_NAMES = {
    "accounts.User": ("người dùng", "người dùng"),
    "accounts.AgencyMembership": ("cán bộ của cơ quan", "cán bộ của cơ quan"),
    "accounts.RefreshTokenFamily": ("phiên đăng nhập", "phiên đăng nhập"),
    "agencies.Agency": ("cơ quan, đơn vị", "cơ quan, đơn vị"),
    "catalog.Field": ("lĩnh vực", "lĩnh vực"),
    "catalog.Procedure": ("thủ tục hành chính", "thủ tục hành chính"),
    "catalog.DocumentType": ("thành phần hồ sơ", "thành phần hồ sơ"),
    "catalog.Offering": ("thủ tục cơ quan cung cấp", "thủ tục cơ quan cung cấp"),
    "workcalendar.CalendarException": ("ngày nghỉ, ngày làm bù", "ngày nghỉ, ngày làm bù"),
    "dossiers.Dossier": ("hồ sơ", "hồ sơ"),
    "dossiers.DossierEvent": ("lịch sử xử lý", "lịch sử xử lý"),
    "dossiers.DossierPause": ("lần tạm dừng", "các lần tạm dừng"),
    "dossiers.DossierDocument": ("tài liệu hồ sơ", "tài liệu hồ sơ"),
    "dossiers.CodeCounter": ("bộ đếm mã hồ sơ", "bộ đếm mã hồ sơ"),
    "dossiers.IdempotencyRecord": ("khóa chống gửi lặp", "khóa chống gửi lặp"),
    "portal.OutboxMessage": ("bản tin chờ đồng bộ", "bản tin chờ đồng bộ"),
    "portal.PortalKey": ("khóa truy cập của Cổng", "khóa truy cập của Cổng"),
    "notifications.Notification": ("thông báo", "thông báo"),
    "notifications.OverdueMark": ("đánh dấu quá hạn", "đánh dấu quá hạn"),
    "notifications.JobCursor": ("vị trí tác vụ", "vị trí tác vụ"),
    "ratings.Rating": ("đánh giá", "đánh giá"),
    "stats.StatDelta": ("số liệu chờ gộp", "số liệu chờ gộp"),
    "stats.StatRollup": ("số liệu tổng hợp theo ngày", "số liệu tổng hợp theo ngày"),
    "stats.StatAgencyDay": ("số liệu cơ quan theo ngày", "số liệu cơ quan theo ngày"),
    "stats.StatAgencyMonth": ("số liệu cơ quan theo tháng", "số liệu cơ quan theo tháng"),
    "stats.StatAgencyDayDue": ("hồ sơ đến hạn theo ngày", "hồ sơ đến hạn theo ngày"),
    "stats.StatBalance": ("số dư đầu tháng", "số dư đầu tháng"),
    "stats.StatOnlineProcedureDay": ("thủ tục có hồ sơ trực tuyến theo ngày", "thủ tục có hồ sơ trực tuyến theo ngày"),
    "stats.StatOnlineProcedureMonth": ("thủ tục có hồ sơ trực tuyến theo tháng",
                                       "thủ tục có hồ sơ trực tuyến theo tháng"),
    "stats.StatProcedureMonth": ("số liệu thủ tục theo tháng", "số liệu thủ tục theo tháng"),
    "stats.StatProcedureBalance": ("số dư thủ tục đầu tháng", "số dư thủ tục đầu tháng"),
    "stats.StatTransfer": ("hồ sơ chuyển xử lý", "hồ sơ chuyển xử lý"),
    "documents.DocumentMail": ("thư gửi biểu mẫu", "thư gửi biểu mẫu"),
    "audit.AuditEntry": ("mục nhật ký", "nhật ký kiểm tra"),
    "dashboard.IndicatorTarget": ("chỉ tiêu", "chỉ tiêu thống kê"),
    "payments.Payment": ("khoản thanh toán", "khoản thanh toán"),
    "payments.GatewayMessage": ("thông điệp cổng thanh toán", "thông điệp cổng thanh toán"),
    "identity.CitizenIdentity": ("định danh công dân", "định danh công dân"),
    "portal.PortalSignature": ("chữ ký đã dùng của Cổng", "chữ ký đã dùng của Cổng"),
}

# Field names shared by many models; a model's own entry in FIELD_NAMES wins.
COMMON_FIELDS = {
    "code": "mã", "name": "tên", "agency": "cơ quan", "procedure": "thủ tục", "dossier": "hồ sơ",
    "field": "lĩnh vực", "service_class": "loại dịch vụ (Nghị định 42/2022)", "created_at": "thời điểm tạo",
    "updated_at": "cập nhật lúc", "is_active": "đang hoạt động",
    "valid_from": "hiệu lực từ", "valid_to": "hiệu lực đến", "online_level": "mức độ trực tuyến",
    "processing_days": "thời hạn giải quyết (ngày làm việc)", "status": "trạng thái", "kind": "loại",
    "reason": "lý do", "payload": "nội dung", "attempts": "số lần thử", "next_attempt_at": "lần thử tiếp theo",
    "last_error": "lỗi gần nhất", "channel": "kênh", "phone": "điện thoại", "email": "thư điện tử",
    "address": "địa chỉ", "day": "ngày", "month": "tháng", "month_start": "đầu tháng", "level": "mức độ",
    "metric": "chỉ số", "due_day": "ngày đến hạn", "n": "số lượng", "online": "trực tuyến",
    "due_at": "hạn giải quyết", "event": "sự kiện", "user": "người dùng", "note": "ghi chú", "key": "khóa",
    "action": "thao tác", "at": "thời điểm", "actor": "người thực hiện", "description": "mô tả",
    "applicant_type": "loại đối tượng", "id_number": "số giấy tờ tùy thân", "full_name": "họ và tên",
    "title": "chức danh", "date": "ngày", "position": "thứ tự", "recipient": "người nhận",
    "subject": "tiêu đề", "body": "nội dung", "sent_at": "thời điểm gửi", "detail": "chi tiết",
}

# "app_label.ModelName": {field: name}
FIELD_NAMES: dict[str, dict[str, str]] = {
    "accounts.User": {"password": "mật khẩu", "last_login": "lần đăng nhập cuối", "is_superuser": "siêu quản trị",
                      "username": "tên đăng nhập", "first_name": "tên riêng", "last_name": "họ",
                      "is_staff": "vào trang quản trị", "is_active": "đang hoạt động",
                      "date_joined": "ngày tham gia", "groups": "vai trò", "user_permissions": "quyền riêng",
                      "token_version": "phiên bản token", "language": "ngôn ngữ"},
    "accounts.AgencyMembership": {"include_subtree": "gồm các đơn vị trực thuộc"},
    "accounts.RefreshTokenFamily": {"id": "mã phiên", "generation": "lần làm mới", "expires_at": "hết hạn lúc",
                                   "revoked_at": "thu hồi lúc"},
    "agencies.Agency": {"tier": "cấp", "parent": "cơ quan cấp trên", "path": "đường dẫn cây",
                        "successor": "cơ quan kế thừa"},
    "catalog.Procedure": {"fee": "phí, lệ phí (đồng)"},
    "stats.StatTransfer": {"from_agency": "cơ quan chuyển", "to_agency": "cơ quan nhận"},
    "catalog.DocumentType": {"required": "bắt buộc"},
    "dossiers.Dossier": {
        "receiving_agency": "cơ quan tiếp nhận", "agency": "cơ quan xử lý", "version": "phiên bản",
        "applicant": "tài khoản người nộp", "applicant_name": "người nộp hồ sơ",
        "applicant_name_folded": "tên người nộp (không dấu)", "applicant_id_number": "số giấy tờ tùy thân",
        "applicant_birth_date": "ngày sinh", "applicant_phone": "điện thoại người nộp",
        "applicant_email": "thư điện tử người nộp", "applicant_address": "địa chỉ người nộp",
        "form_data": "dữ liệu tờ khai", "submitted_at": "ngày nộp", "received_at": "ngày tiếp nhận",
        "due_at": "ngày hẹn trả theo quy định", "appointment_at": "ngày hẹn trả", "resolved_at": "ngày có kết quả",
        "returned_at": "ngày trả kết quả", "closed_at": "ngày kết thúc", "timeliness": "tiến độ",
        "rejected_at_intake": "từ chối khi tiếp nhận", "received_by": "cán bộ tiếp nhận",
        "assigned_to": "cán bộ xử lý", "result": "kết quả", "result_note": "ghi chú kết quả",
        "fee_amount": "phí, lệ phí (đồng)", "payment_method": "hình thức nộp phí", "paid_at": "ngày nộp phí",
    },
    "dossiers.DossierEvent": {"from_status": "từ trạng thái", "to_status": "sang trạng thái",
                              "actor_role": "vai trò", "txid": "mã giao dịch"},
    "dossiers.DossierPause": {"started_at": "bắt đầu", "ended_at": "kết thúc", "requested_items": "nội dung yêu cầu",
                              "due_at_before": "hạn trước khi dừng", "due_at_after": "hạn sau khi dừng"},
    "dossiers.DossierDocument": {"document_type": "thành phần hồ sơ", "stage": "giai đoạn", "file": "tệp",
                                 "original_name": "tên tệp gốc", "content_type": "kiểu tệp", "size": "dung lượng",
                                 "sha256": "mã băm SHA-256", "uploaded_by": "người tải lên",
                                 "uploaded_at": "thời điểm tải lên"},
    "dossiers.CodeCounter": {"last_value": "số cuối"},
    "dossiers.IdempotencyRecord": {"client": "bên gọi", "request_hash": "dấu vân tay yêu cầu",
                                   "response_status": "mã trả lời"},
    "portal.OutboxMessage": {"delivered_at": "thời điểm đã gửi"},
    "portal.PortalKey": {"key_id": "mã khóa", "secret": "bí mật", "valid_until": "hiệu lực đến"},
    "notifications.OverdueMark": {"detected_at": "thời điểm phát hiện"},
    "ratings.Rating": {"clerk": "cán bộ tiếp nhận", "level": "mức độ hài lòng", "criteria": "tiêu chí",
                       "comment": "góp ý", "source": "nguồn", "rated_by": "người đánh giá"},
    "audit.AuditEntry": {"actor_username": "tên đăng nhập người thực hiện", "object_type": "loại đối tượng",
                         "object_id": "mã đối tượng", "dossier_code": "mã hồ sơ", "request_id": "mã yêu cầu",
                         "ip": "địa chỉ IP"},
    "dashboard.IndicatorTarget": {"indicator": "chỉ số", "target_value": "chỉ tiêu"},
    "documents.DocumentMail": {"form": "biểu mẫu", "to_email": "gửi đến"},
    "notifications.Notification": {"read_at": "đã đọc lúc"},
    "payments.Payment": {"request_event": "yêu cầu nộp phí", "attempt": "lần thanh toán", "gateway": "cổng thanh toán",
                         "txn_ref": "mã giao dịch", "token": "mã liên kết thanh toán", "amount": "số tiền (đồng)",
                         "order_info": "nội dung thanh toán", "gateway_created_at": "thời điểm tạo tại cổng",
                         "settled_at": "thời điểm kết thúc", "paid_at": "thời điểm thanh toán",
                         "transaction_no": "số giao dịch của cổng", "bank_code": "mã ngân hàng",
                         "response_code": "mã phản hồi", "last_checked_at": "lần đối soát gần nhất",
                         "checks": "số lần đối soát"},
    "payments.GatewayMessage": {"payment": "khoản thanh toán", "source": "nguồn", "txn_ref": "mã giao dịch",
                                "fields": "tham số", "outcome": "kết quả", "received_at": "thời điểm nhận"},
    "identity.CitizenIdentity": {"id_key": "số định danh (chuẩn hóa)", "verified": "đã xác thực",
                                 "verified_at": "xác thực lúc", "issuer": "nhà cung cấp định danh",
                                 "released_at": "giải phóng lúc"},
    "portal.PortalSignature": {"key_id": "mã khóa", "signature": "chữ ký", "expires_at": "hết hạn lúc"},
}


def our_models():
    for config in apps.get_app_configs():
        if config.name.startswith("apps."):
            yield from config.get_models()


def field_name_vi(model_key: str, field_name: str) -> str | None:
    return FIELD_NAMES.get(model_key, {}).get(field_name) or COMMON_FIELDS.get(field_name)


def apply_verbose_names() -> None:
    """Name every app, model and field of ours (lazily translated: each request reads its language)."""
    for config in apps.get_app_configs():
        if config.label in APP_NAMES:
            config.verbose_name = gettext_lazy(APP_NAMES[config.label])
    for model in our_models():
        key = f"{model._meta.app_label}.{model.__name__}"
        if key in MODEL_NAMES:
            singular, plural = MODEL_NAMES[key]
            model._meta.verbose_name = gettext_lazy(singular)
            model._meta.verbose_name_plural = gettext_lazy(plural)
        for field in model._meta.get_fields():
            if field.concrete and not field.auto_created:
                name = field_name_vi(key, field.name)
                if name:
                    field.verbose_name = gettext_lazy(name)
