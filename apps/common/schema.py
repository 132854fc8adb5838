"""OpenAPI generation: every operation documents the problem responses (RFC 9457) it can give.

The 4xx statuses an operation can answer follow from how its view is built (who authenticates it,
who may call it, whether it has path parameters, a body, throttles), so they are derived here once
instead of being repeated on every view. A view adds what cannot be derived (a 404 for an unknown
code passed in the query, say) with `extra_problem_statuses`. The schema fuzz test
(tests/hardening/test_schema_fuzz.py) fails on any status an operation gives that is not listed.
"""
from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from .problems import PROBLEM_CONTENT_TYPE

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

PROBLEM_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request or invalid input (`validation_error` lists the fields in `errors`).",
    401: "No credentials, or invalid or expired ones (`WWW-Authenticate` names the scheme).",
    403: "Authenticated, but this role or agency scope may not do this.",
    404: "No such object, or not one the caller may see.",
    410: "Gone: the link has expired.",
    409: "The dossier's state does not allow this (`allowed_actions`), or a concurrent change won.",
    412: "`If-Match` does not match the dossier's current ETag.",
    413: "The request body is larger than the server accepts.",
    415: "Unsupported request content type.",
    422: "Well-formed but refused by a domain rule (e.g. procedure not offered, idempotency key reused).",
    429: "Too many requests; retry after `Retry-After` seconds.",
}


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path of the offending field")
    code = serializers.CharField()
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details; some problems carry more members (`allowed_actions`, `retry_after`)."""

    type = serializers.CharField(help_text="`urn:onestop:problem:<code>`")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine code, e.g. `validation_error`")
    instance = serializers.CharField(required=False, help_text="The request path")
    errors = FieldErrorSerializer(many=True, required=False)


def _model_field(field: serializers.Field) -> Any:
    """The model field a serializer field reads directly (`source` without dots), if any."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = getattr(field, "source", "")
    if model is None or not source or "." in source or source == "*":
        return None
    try:
        found = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return found if hasattr(found, "blank") else None  # a reverse relation is no column


class ProblemAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # DRF drops allow_blank (and never sets allow_null on explicit related fields) for read-only
        # fields, yet still outputs the model's "" and null: say so, or the schema lies about responses.
        if field.read_only and (model_field := _model_field(field)) is not None:
            if model_field.null:
                field.allow_null = True
            if model_field.blank and isinstance(field, (serializers.CharField, serializers.ChoiceField)):
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status in sorted(self.problem_statuses(operation)):
            declared = responses.get(str(status))
            if declared is not None and declared.get("content"):
                continue  # the view documents this one itself
            responses[str(status)] = self._problem_response(status)
        return operation

    def _problem_response(self, status: int) -> dict[str, str]:
        """A `$ref` to the shared `components/responses/Problem<status>`, registered on first use."""
        response = self._get_response_for_code(ProblemSerializer, str(status), [PROBLEM_CONTENT_TYPE])
        response["description"] = PROBLEM_DESCRIPTIONS[status]
        component = ResolvedComponent(
            name=f"Problem{status}", type=ResolvedComponent.RESPONSE, object=f"Problem{status}", schema=response
        )
        self.registry.register_on_missing(component)
        return component.ref

    def problem_statuses(self, operation: dict[str, Any]) -> set[int]:
        view = self.view
        statuses: set[int] = set(getattr(view, "extra_problem_statuses", ()))
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        if parameters or has_body:
            statuses.add(400)
        if view.get_authenticators():
            statuses.add(401)  # a bad or expired token is refused even where anonymous callers are welcome
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            statuses.add(403)
        if any(p.get("in") == "path" for p in parameters):
            statuses.add(404)
        if self.method in UNSAFE_METHODS:
            statuses.update({409, 422})  # the domain rules behind every write (lifecycle, idempotency, offers)
            if has_body:
                statuses.update({400, 413, 415})
            if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in parameters):
                statuses.add(412)
        if view.get_throttles():
            statuses.add(429)
        return statuses
