"""A small, deterministic history made through the real services, dated relative to today: most of
it in the previous month (always in the past), two dossiers just now (the current month)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import staff_create
from apps.agencies.models import Agency
from apps.catalog.models import DocumentType
from apps.dossiers import services as ds
from apps.ratings.services import rating_give

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEPARTMENT = "000.00.17.H29"  # Sở Tư pháp (province tier)
XUAN_QUAN = "000.31.01.H29"  # commune under the district Văn Giang
DONG_TAO = "000.32.01.H29"  # commune under the district Khoái Châu
VAN_GIANG = "000.00.31.H29"
KHOAI_CHAU = "000.00.32.H29"
RECORD = "2.000488"  # judicial record: level 4, 7 working days at the department
BIRTH = "1.001193"  # birth registration: level 4 at Xuân Quan, same day
MARRIAGE = "1.000894"  # marriage registration: level 3, same day


@dataclass
class History:
    previous_month: date  # its first day
    today: date


def _applicant() -> ds.ApplicantData:
    return ds.ApplicantData(applicant_type="citizen", name="Phạm Thị Hoa", id_number="001190000001")


def make_history(monkeypatch) -> History:
    clock = {"now": timezone.now()}
    monkeypatch.setattr("apps.dossiers.services._now", lambda: clock["now"])
    monkeypatch.setattr("apps.ratings.services._now", lambda: clock["now"])
    DocumentType.objects.update(required=False)
    staff = staff_create(username="history-staff", password="x" * 12, full_name="Cán bộ một cửa",
                         roles=[Role.CLERK, Role.SPECIALIST, Role.LEADER],
                         agencies=[Agency.objects.get(code="000.00.00.H29")], include_subtree=True)
    staff_caller = ds.Caller.for_user(staff)
    citizen = User.objects.get(username="citizen1")
    citizen_caller = ds.Caller.for_user(citizen)

    today = timezone.localdate()
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)

    def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(previous + timedelta(days=day_offset), time(hour, minute), tzinfo=VN)

    def register(agency: str, procedure: str):
        request = ds.IntakeRequest(agency_code=agency, procedure_code=procedure, applicant=_applicant())
        return ds.dossier_register(caller=staff_caller, request=request, channel="counter").dossier

    def submit(agency: str, procedure: str):
        request = ds.IntakeRequest(agency_code=agency, procedure_code=procedure, applicant=_applicant())
        return ds.dossier_submit(caller=citizen_caller, request=request).dossier

    # Previous month, the department: five at the counter; two paid (one online), three resolved
    # early, one rated; two left open (overdue by now: seven working days have long passed).
    clock["now"] = at(1, 9)
    records = [register(DEPARTMENT, RECORD) for _ in range(5)]
    clock["now"] = at(1, 10)
    for dossier, method in ((records[0], "online"), (records[1], "counter")):
        ds.dossier_request_payment(dossier_id=dossier.pk, caller=staff_caller, amount=Decimal(200000), items=[])
        ds.dossier_confirm_payment(dossier_id=dossier.pk, method=method, caller=staff_caller if method == "counter"
                                   else ds.Caller(user=None, client_id="payment:test", is_payment_callback=True))
    clock["now"] = at(1, 11)
    for dossier in records[:3]:
        ds.dossier_resolve(dossier_id=dossier.pk, caller=staff_caller, result="approved")
    clock["now"] = at(2, 9)
    rating_give(dossier_id=records[0].pk, rated_by=citizen, source="kiosk", level="very_satisfied")
    rating_give(dossier_id=records[1].pk, rated_by=citizen, source="kiosk", level="dissatisfied")

    # Previous month, the commune Xuân Quan: two online filings accepted, one resolved the same
    # day, one left open (same-day procedure: overdue).
    clock["now"] = at(3, 8, 30)
    births = [submit(XUAN_QUAN, BIRTH) for _ in range(2)]
    clock["now"] = at(3, 9)
    for dossier in births:
        ds.dossier_accept(dossier_id=dossier.pk, caller=staff_caller)
    clock["now"] = at(3, 9, 30)
    ds.dossier_resolve(dossier_id=births[0].pk, caller=staff_caller, result="approved")

    # Previous month, the commune Đông Tảo: three counter marriages, all left open (overdue).
    clock["now"] = at(4, 9)
    for _ in range(3):
        register(DONG_TAO, MARRIAGE)

    # This month: two counter dossiers at the department, received a moment ago (not overdue).
    clock["now"] = timezone.now() - timedelta(minutes=2)
    for _ in range(2):
        register(DEPARTMENT, RECORD)
    clock["now"] = timezone.now()
    return History(previous_month=previous, today=today)
