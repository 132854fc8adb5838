"""Catalogue reads: public lists and the offering lookups intake needs."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import DocumentType, Field, Offering, Procedure


def field_list() -> QuerySet[Field]:
    return Field.objects.all()


def procedure_list() -> QuerySet[Procedure]:
    return Procedure.objects.select_related("field").prefetch_related(
        Prefetch("document_types", queryset=DocumentType.objects.order_by("position", "code"))
    )


def procedure_get_by_code(code: str) -> Procedure | None:
    return procedure_list().filter(code=code).first()


def offering_list() -> QuerySet[Offering]:
    return Offering.objects.select_related("agency", "procedure", "procedure__field")


def offering_for(*, agency_id: int, procedure_id: int) -> Offering | None:
    return offering_list().filter(agency_id=agency_id, procedure_id=procedure_id, is_active=True).first()
