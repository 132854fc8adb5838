"""Cursor pagination with a stable, unique ordering declared by each view."""
from base64 import b64decode
from urllib.parse import parse_qs

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination

from .numbers import bounded_int, query_int

ORDERING_PARAM = "ordering"


class StableCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-pk",)
    _orders_by_integer = False  # set per request by paginate_queryset

    def get_ordering(self, request, queryset, view):  # type: ignore[override]
        # Views name their own ordering; it must end in a unique column so pages never overlap.
        # A view may offer several (`cursor_orderings`, the first the default), chosen by `?ordering=`.
        choices = getattr(view, "cursor_orderings", None)
        if choices:
            wanted = request.query_params.get(ORDERING_PARAM)
            if wanted is None:
                return tuple(next(iter(choices.values())))
            if wanted not in choices:
                raise ValidationError({ORDERING_PARAM: [_("One of: %(choices)s.") % {"choices": ", ".join(choices)}]})
            return tuple(choices[wanted])
        ordering = getattr(view, "cursor_ordering", None)
        if ordering:
            return tuple(ordering)
        return super().get_ordering(request, queryset, view)

    def get_page_size(self, request):
        # DRF clamps a huge page size and ignores a malformed one; a client asking for something we
        # will not give learns it (400) instead of silently receiving another page size.
        return query_int(
            request.query_params, self.page_size_query_param, default=self.page_size, low=1, high=self.max_page_size
        )

    def decode_cursor(self, request):
        # DRF's, but a garbled cursor is bad input (DRF answers 404, as if the list did not exist),
        # and its numbers are read as apps.common.numbers reads them: no sign, blanks or 4,301 digits.
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            tokens = parse_qs(b64decode(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True)
        except (TypeError, ValueError) as exc:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from exc
        offset = bounded_int(tokens.get("o", ["0"])[0])
        reverse = tokens.get("r", ["0"])[0]
        if offset is None or reverse not in ("0", "1"):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        position = tokens.get("p", [None])[0]
        if position is not None and self._orders_by_integer and bounded_int(position) is None:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        return Cursor(offset=min(offset, self.offset_cutoff), reverse=reverse == "1", position=position)

    def paginate_queryset(self, queryset, request, view=None):
        # The first ordering column's type, for decode_cursor (which DRF calls with the ordering set).
        try:
            name = self.get_ordering(request, queryset, view)[0].lstrip("-")
            field = queryset.model._meta.get_field("id" if name == "pk" else name)
        except (FieldDoesNotExist, IndexError):
            field = None
        self._orders_by_integer = isinstance(field, models.IntegerField)
        # A well-formed cursor whose position does not fit the ordering column (a forged one).
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError) as exc:
            if self.cursor_query_param not in request.query_params:
                raise  # not the cursor's fault
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        choices = getattr(view, "cursor_orderings", None)
        if choices:
            parameters.append({
                "name": ORDERING_PARAM, "required": False, "in": "query",
                "description": f"Sort order (default `{next(iter(choices))}`); names sort in Vietnamese "
                               "dictionary order (\"Đ\" after \"D\", tones in order).",
                "schema": {"type": "string", "enum": list(choices)},
            })
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1, "maximum": self.max_page_size}
        return parameters
