"""Cursor pagination with a stable, unique ordering declared by each view."""
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-pk",)

    def get_ordering(self, request, queryset, view):  # type: ignore[override]
        # Views name their own ordering; it must end in a unique column so pages never overlap.
        ordering = getattr(view, "cursor_ordering", None)
        if ordering:
            return tuple(ordering)
        return super().get_ordering(request, queryset, view)
