"""Catalogue reads: public lists and the offering lookups intake needs."""
from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Max, Prefetch, QuerySet, Value, When

from apps.common.search import search_folded
from onestop.indicators import CLASS_RANK, Offered

from .models import DocumentType, Field, Offering, Procedure


def field_list() -> QuerySet[Field]:
    return Field.objects.all()


def procedure_list() -> QuerySet[Procedure]:
    return Procedure.objects.select_related("field").prefetch_related(
        Prefetch("document_types", queryset=DocumentType.objects.order_by("position", "code"))
    )


def procedure_search(queryset: QuerySet[Procedure], text: str) -> QuerySet[Procedure]:
    """Procedures whose code, name or field name holds every word typed, diacritics and case aside."""
    return search_folded(queryset, text, "code", "name", "field__name")


def field_search(queryset: QuerySet[Field], text: str) -> QuerySet[Field]:
    return search_folded(queryset, text, "code", "name")


def procedure_get_by_code(code: str) -> Procedure | None:
    return procedure_list().filter(code=code).first()


def offering_list() -> QuerySet[Offering]:
    return Offering.objects.select_related("agency", "procedure", "procedure__field")


def offering_for(*, agency_id: int, procedure_id: int) -> Offering | None:
    return offering_list().filter(agency_id=agency_id, procedure_id=procedure_id, is_active=True).first()


# Intake reads the same few thousand offerings all day: keep them in process memory briefly.
# Imports drop the cache in the importing process at once; other processes see a change within
# CATALOG_CACHE_SECONDS (catalogue changes are rare and announced in advance).
CATALOG_CACHE_SECONDS = 60
_offering_cache: dict[tuple[str, str], tuple[float, Offering | None]] = {}


def offering_for_intake(agency_code: str, procedure_code: str) -> Offering | None:
    """The offering with its agency, procedure, field and document types loaded; cached.

    The instances are shared between requests: callers must not modify them.
    """
    import time

    key = (agency_code, procedure_code)
    now = time.monotonic()
    hit = _offering_cache.get(key)
    if hit is not None and now - hit[0] < CATALOG_CACHE_SECONDS:
        return hit[1]
    offering = (
        Offering.objects.select_related("agency", "procedure", "procedure__field")
        .prefetch_related(Prefetch("procedure__document_types", queryset=DocumentType.objects.order_by("position")))
        .filter(agency__code=agency_code, procedure__code=procedure_code)
        .first()
    )
    if len(_offering_cache) > 50_000:  # bounded: a flood of unknown codes cannot grow it forever
        _offering_cache.clear()
    _offering_cache[key] = (now, offering)
    return offering


_offered_cache: dict[tuple, tuple[float, Any]] = {}


def _cached_offered(key: tuple, compute):
    """Statistics ask what a scope offers on every request; the catalogue changes rarely, so the
    answers are cached like the intake offerings (same lifetime, same reset)."""
    import time

    now = time.monotonic()
    hit = _offered_cache.get(key)
    if hit is not None and now - hit[0] < CATALOG_CACHE_SECONDS:
        return hit[1]
    value = compute()
    if len(_offered_cache) > 10_000:
        _offered_cache.clear()
    _offered_cache[key] = (now, value)
    return value


def _active_offerings(agency_ids: frozenset[int] | None, procedure_id: int | None, tier: str | None, *group: str):
    """(*group, highest level, best class rank) over the active offerings, grouped by `group`."""
    offerings = Offering.objects.filter(is_active=True, procedure__is_active=True, agency__is_active=True)
    if agency_ids is not None:
        offerings = offerings.filter(agency_id__in=agency_ids)
    if procedure_id is not None:
        offerings = offerings.filter(procedure_id=procedure_id)
    if tier is not None:
        offerings = offerings.filter(agency__tier=tier)
    rank = Case(*(When(service_class=c, then=Value(r)) for c, r in CLASS_RANK.items()), output_field=IntegerField())
    return offerings.values(*group).annotate(level=Max("online_level"), rank=Max(rank)).values_list(
        *group, "level", "rank")


_CLASS_OF_RANK = {rank: service_class for service_class, rank in CLASS_RANK.items()}


def offered_procedures(
    *, agency_ids: frozenset[int] | None, procedure_id: int | None = None, tier: str | None = None
) -> dict[int, Offered]:
    """Procedure id → the highest level and the best class (full > partial > none) any agency of the
    set offers it at (active offerings). Cached: callers must not change the dict."""
    return _cached_offered(("procedure", agency_ids, procedure_id, tier), lambda: {
        procedure: Offered(level, _CLASS_OF_RANK[rank])
        for procedure, level, rank in _active_offerings(agency_ids, procedure_id, tier, "procedure_id")})


def offered_procedures_by_agency(
    *, agency_ids: frozenset[int] | None, procedure_id: int | None = None, tier: str | None = None
) -> dict[int, dict[int, Offered]]:
    """Agency id → (procedure id → the level and class that agency offers it at). Cached: do not change it."""

    def compute() -> dict[int, dict[int, Offered]]:
        out: dict[int, dict[int, Offered]] = {}
        for agency_id, procedure_id_, level, rank in _active_offerings(agency_ids, procedure_id, tier, "agency_id",
                                                                      "procedure_id"):
            out.setdefault(agency_id, {})[procedure_id_] = Offered(level, _CLASS_OF_RANK[rank])
        return out

    return _cached_offered(("agency", agency_ids, procedure_id, tier), compute)


def forget_catalog_cache() -> None:
    _offering_cache.clear()
    _offered_cache.clear()
