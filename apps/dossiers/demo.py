"""Demo dossiers for `make run` (`load_demo --dossiers N`): made through the real services, so the
history, the statistics counters, the outbox and the forms are what real use would leave.

Counter and post dossiers are registered with a reception time up to REGISTRATION_BACKDATE_DAYS
back (the clerk's backdating), so some are already overdue or get resolved late; online ones are
filed and accepted now. Then each takes a random walk along the lifecycle: assignment, supplement,
payment, transfers between agencies offering the same procedure, apology, resolution, return,
withdrawal, rejection, and a rating for some finished ones. Deterministic for a given seed.
"""
from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import staff_agencies
from apps.catalog.models import Offering
from apps.ratings.models import Source
from apps.ratings.services import rating_give
from apps.workcalendar.selectors import working_calendar
from onestop.errors import DomainError

from . import services
from .models import Dossier
from .uploads import check_upload

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Thu Dung", "Hoàng Văn Em", "Vũ Thị Giang",
         "Đỗ Minh Hải", "Bùi Thị Hoa", "Ngô Quang Khải", "Đặng Thị Lan")


def _uploads(offering: Offering):
    return [
        check_upload(d.code, SimpleUploadedFile(f"{d.code}.pdf", PDF, content_type="application/pdf"), field=d.code)
        for d in offering.procedure.document_types.all() if d.required
    ]


def _staff(agency_id: int, role: str) -> services.Caller | None:
    for user in User.objects.filter(is_active=True).order_by("username"):
        if user.has_role(role) and staff_agencies(user).filter(pk=agency_id).exists():
            return services.Caller.for_user(user)
    return None


def demo_dossiers_load(*, count: int, seed: int = 15) -> int:
    """Make `count` dossiers across the offerings that have staff; returns how many were made."""
    rng = random.Random(seed)
    now = timezone.now()
    backdate = max(0, settings.REGISTRATION_BACKDATE_DAYS - 1)
    offerings = [o for o in Offering.objects.filter(is_active=True).select_related("agency", "procedure")
                 if _staff(o.agency_id, Role.CLERK)]
    applicants = list(User.objects.filter(groups__name=Role.APPLICANT).order_by("username"))
    staff_cache: dict[tuple[int, str], services.Caller | None] = {}

    def staff(agency_id: int, role: str) -> services.Caller | None:
        if (agency_id, role) not in staff_cache:
            staff_cache[agency_id, role] = _staff(agency_id, role)
        return staff_cache[agency_id, role]

    made = 0
    with transaction.atomic():  # one commit (SQLite syncs each one to disk): seconds, not a minute
        for i in range(count):
            made += _one(rng, i, now, backdate, offerings, applicants, staff)
    return made


def _one(rng: random.Random, i: int, now, backdate: int, offerings, applicants, staff) -> int:
    offering = rng.choice(offerings)
    clerk = staff(offering.agency_id, Role.CLERK)
    online = offering.online_level >= 3 and applicants and rng.random() < 0.45
    applicant = rng.choice(applicants) if online else None
    person = services.ApplicantData(
        applicant_type="citizen", name=applicant.full_name if applicant else rng.choice(NAMES),
        id_number=applicant.id_number if applicant and applicant.id_number else f"0011900{i:05d}",
    )
    request = services.IntakeRequest(agency_code=offering.agency.code, procedure_code=offering.procedure.code,
                                     applicant=person, documents=_uploads(offering))
    try:
        with transaction.atomic():
            if online:
                dossier = services.dossier_submit(caller=services.Caller.for_user(applicant), request=request).dossier
                if rng.random() < 0.85:
                    dossier = services.dossier_accept(dossier_id=dossier.pk, caller=clerk)
            else:
                received_at = now - timedelta(days=rng.uniform(0, backdate))
                dossier = services.dossier_register(caller=clerk, request=request, received_at=received_at,
                                                    channel=rng.choice(("counter", "counter", "post"))).dossier
            _walk(rng, dossier, applicant, staff)
    except DomainError:
        return 0  # a step the random walk got wrong: this dossier is left out
    return 1


def _walk(rng: random.Random, dossier: Dossier, applicant: User | None, staff) -> None:
    s = services
    if dossier.status == "submitted":
        if rng.random() < 0.3:
            s.dossier_reject(dossier_id=dossier.pk, caller=staff(dossier.agency_id, Role.CLERK),
                             reason="Hồ sơ không đúng thẩm quyền")
        return
    roll = rng.random()
    if roll < 0.1:  # transferred to another agency offering the procedure
        targets = list(Offering.objects.filter(procedure_id=dossier.procedure_id, is_active=True)
                       .exclude(agency_id=dossier.agency_id).values_list("agency__code", flat=True))
        if targets:
            dossier = s.dossier_transfer(dossier_id=dossier.pk, caller=staff(dossier.agency_id, Role.CLERK),
                                         agency_code=rng.choice(targets), reason="Liên thông giải quyết")
    leader = staff(dossier.agency_id, Role.LEADER)
    specialist = staff(dossier.agency_id, Role.SPECIALIST) or leader
    clerk = staff(dossier.agency_id, Role.CLERK)
    if clerk is None or specialist is None:
        return
    if rng.random() < 0.15:
        dossier = s.dossier_request_supplement(dossier_id=dossier.pk, caller=clerk, reason="Bổ sung thông tin",
                                               items=["Số điện thoại liên hệ"])
        if rng.random() < 0.6:
            dossier = s.dossier_supplement(dossier_id=dossier.pk, caller=clerk, note="Đã bổ sung tại quầy")
        else:
            return  # still waiting for the applicant
    if dossier.procedure.fee and rng.random() < 0.4:
        dossier = s.dossier_request_payment(dossier_id=dossier.pk, caller=clerk, amount=dossier.procedure.fee)
        if rng.random() < 0.8:
            dossier = s.dossier_confirm_payment(dossier_id=dossier.pk, caller=clerk,
                                                method=rng.choice(("online", "counter")))
        else:
            return
    if leader is not None and dossier.due_at and dossier.due_at < timezone.now() and rng.random() < 0.5:
        new = working_calendar().earliest_appointment_after(max(dossier.appointment_at, timezone.now())
                                                            + timedelta(days=2))
        dossier = s.dossier_apologise(dossier_id=dossier.pk, caller=leader, reason="Chờ ý kiến cơ quan phối hợp",
                                      new_appointment=new)
    roll = rng.random()
    if roll < 0.25:
        return  # in progress
    if roll < 0.3 and applicant is not None:
        s.dossier_withdraw(dossier_id=dossier.pk, caller=s.Caller.for_user(applicant), reason="Không còn nhu cầu")
        return
    if roll < 0.35:
        s.dossier_reject(dossier_id=dossier.pk, caller=clerk, reason="Không đủ điều kiện")
        return
    refused = rng.random() < 0.1
    dossier = s.dossier_resolve(dossier_id=dossier.pk, caller=specialist, result="refused" if refused else "approved",
                                note="Không đủ điều kiện theo quy định" if refused else "")
    if rng.random() < 0.6:
        method = "online" if dossier.online_level == 4 and rng.random() < 0.5 else "counter"
        dossier = s.dossier_return(dossier_id=dossier.pk, caller=clerk, method=method)
    if applicant is not None and rng.random() < 0.6:
        rating_give(dossier_id=dossier.pk, rated_by=applicant, source=Source.ONLINE,
                    level=rng.choice(("very_satisfied", "satisfied", "satisfied", "dissatisfied")))
