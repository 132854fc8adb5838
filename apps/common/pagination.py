"""Cursor pagination with a stable, unique ordering declared by each view."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

ORDERING_PARAM = "ordering"


class StableCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-pk",)

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
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [_("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}]}
            )
        return int(raw)

    def decode_cursor(self, request):
        # DRF answers a garbled cursor with 404, as if the list did not exist: it is bad input.
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc

    def paginate_queryset(self, queryset, request, view=None):
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
