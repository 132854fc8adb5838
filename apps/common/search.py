"""Search the way people type: without diacritics, in any case ("ly lich" finds "Lý lịch tư pháp").

The folding rule is `onestop.text.fold`. In the database it is the function `onestop_fold(text)`: on
PostgreSQL an immutable SQL wrapper around `unaccent` (apps/common/migrations/0001), on SQLite (the
embedded `make run` mode) the Python rule itself, registered on every new connection. Large tables
keep a folded copy of the searched column instead (dossiers: `applicant_name_folded`), so a search
compares stored text and never folds millions of rows per request.
"""
from __future__ import annotations

from django.db.backends.signals import connection_created
from django.db.models import CharField, Expression, F, Func, Q, QuerySet
from django.db.models.functions import Collate
from django.db.models.lookups import Contains

from onestop.text import fold, fold_terms

# PostgreSQL's ICU collation for Vietnamese dictionary order ("Đ" after "D", tones in order).
VIETNAMESE_COLLATION = "vi-VN-x-icu"


class Fold(Func):
    """`onestop_fold(expression)`: the SQL side of `onestop.text.fold`."""

    function = "onestop_fold"
    output_field = CharField()


def register_sqlite_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("onestop_fold", 1, _fold_or_none, deterministic=True)


def _fold_or_none(value: str | None) -> str | None:
    return None if value is None else fold(value)


connection_created.connect(register_sqlite_fold, dispatch_uid="onestop_fold_sqlite")


def _contains(column: Expression, term: str) -> Q:
    return Q(Contains(column, term))


def folded_match(folded_column: str, text: str) -> Q | None:
    """Rows whose stored folded column contains every folded word of `text` (None: nothing to find)."""
    terms = fold_terms(text)
    if not terms:
        return None
    match = Q()
    for term in terms:
        match &= _contains(F(folded_column), term)
    return match


def search_folded(queryset: QuerySet, text: str, *columns: str) -> QuerySet:
    """Rows where any of `columns` (folded on the fly: small tables only) contains every word."""
    terms = fold_terms(text)
    if not terms:
        return queryset
    match = Q()
    for term in terms:
        any_column = Q()
        for column in columns:
            any_column |= _contains(Fold(column), term)
        match &= any_column
    return queryset.filter(match)


def by_vietnamese_name(queryset: QuerySet, column: str = "name", connection_vendor: str | None = None) -> QuerySet:
    """Order by a name in Vietnamese dictionary order on PostgreSQL (byte order elsewhere)."""
    from django.db import connection

    if (connection_vendor or connection.vendor) == "postgresql":
        return queryset.order_by(Collate(column, VIETNAMESE_COLLATION))
    return queryset.order_by(column)
