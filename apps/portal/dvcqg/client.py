"""HTTP side of the portal's protocol: a session login and JSON service calls.

    POST {adapter_url}{auth_endpoint}      {"username": ..., "password": ...}
        -> {"session": "...", "error_code": "00"}            (0, "0" or "00" = success)
    POST {adapter_url}{service_endpoint}   {"session": ..., "madonvi": <agency code>, "service": <name>, ...}
        -> {"error_code": "00", "message": ..., "result": [...]}

`service_endpoint` may contain ``{service}`` for gateways that route by path (one gateway exposes
``…/api/SynsTTHCC/DongBoHoSoMC?MaDinhDanhDV=000.00.01.H22&isUpdating=True``); the service name is
sent in the body either way. App-side replies seen as ``{"response_code": "00" | "-1",
"response_data": ...}`` are read the same way. Standard library only (like the webhook adapter).
"""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

OK_CODES = frozenset({"0", "00"})


class PortalCallError(Exception):
    """The call did not get a usable answer (network, timeout, HTTP error, not JSON)."""


class LoginFailed(PortalCallError):
    """The portal refused the login (`refused`: it answered no) or could not be reached for it."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


def code_of(document: Any) -> str | None:
    """The answer's status code as text ("00", "-1", "401", ...), or None when it has none."""
    if not isinstance(document, dict):
        return None
    for key in ("error_code", "response_code", "errorCode", "ErrorCode"):
        if key in document and document[key] is not None:
            return str(document[key]).strip()
    return None


def is_ok_code(code: Any) -> bool:
    return code is not None and str(code).strip() in OK_CODES


def message_of(document: Any) -> str:
    if not isinstance(document, dict):
        return ""
    for key in ("message", "error_message", "error", "msg", "response_message"):
        value = document.get(key)
        if value:
            return str(value)
    data = document.get("response_data")
    return data if isinstance(data, str) else ""


@dataclass
class Answer:
    http_status: int
    document: Any
    code: str | None = None
    message: str = ""
    auth_error: bool = False

    @property
    def ok(self) -> bool:
        return not self.auth_error and (self.code is None or is_ok_code(self.code))

    def describe(self) -> str:
        return f"error_code {self.code}: {self.message}".strip() if self.code else f"HTTP {self.http_status}"


@dataclass
class PortalConfig:
    adapter_url: str
    auth_endpoint: str
    service_endpoint: str
    username: str
    password: str
    agency_code: str
    timeout: float = 10.0
    session_error_codes: frozenset[str] = field(default_factory=lambda: frozenset({"401", "403"}))

    @classmethod
    def from_settings(cls) -> PortalConfig:
        from django.conf import settings

        return cls(
            adapter_url=settings.PORTAL_ADAPTER_URL, auth_endpoint=settings.PORTAL_AUTH_ENDPOINT,
            service_endpoint=settings.PORTAL_SERVICE_ENDPOINT, username=settings.PORTAL_USERNAME,
            password=settings.PORTAL_PASSWORD, agency_code=settings.PORTAL_AGENCY_CODE,
            timeout=settings.PORTAL_TIMEOUT,
            session_error_codes=frozenset(str(c).strip() for c in settings.PORTAL_SESSION_ERROR_CODES),
        )

    def service_url(self, service: str, query: dict[str, str] | None = None) -> str:
        url = self.adapter_url.rstrip("/") + "/" + self.service_endpoint.format(service=service).lstrip("/")
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query)
        return url

    @property
    def auth_url(self) -> str:
        return self.adapter_url.rstrip("/") + "/" + self.auth_endpoint.lstrip("/")


class PortalClient:
    def __init__(self, config: PortalConfig) -> None:
        self.config = config

    def _post(self, url: str, body: dict[str, Any]) -> tuple[int, Any]:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        request = urllib.request.Request(url, data=raw, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
            if status not in (401, 403):
                raise PortalCallError(f"HTTP {status}: {_snippet(answer)}") from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout, DNS, TLS
            raise PortalCallError(f"{type(exc).__name__}: {exc}") from exc
        if not answer.strip():
            return status, {}
        try:
            return status, json.loads(answer)
        except ValueError as exc:
            raise PortalCallError(f"HTTP {status} with a body that is not JSON: {_snippet(answer)}") from exc

    def login(self) -> str:
        """A new session, or LoginFailed with the portal's words."""
        try:
            status, document = self._post(self.config.auth_url, {"username": self.config.username,
                                                                  "password": self.config.password})
        except PortalCallError as exc:
            raise LoginFailed(f"login: {exc}") from exc
        session = document.get("session") if isinstance(document, dict) else None
        if status in (401, 403) or not is_ok_code(code_of(document)) or not session:
            raise LoginFailed(f"login refused (HTTP {status}, error_code {code_of(document)}): "
                              f"{message_of(document) or _snippet(json.dumps(document).encode())}", refused=True)
        return str(session)

    def call(self, service: str, session: str, body: dict[str, Any] | None = None,
             query: dict[str, str] | None = None) -> Answer:
        """One service call. Raises PortalCallError when there is no usable answer; an expired or
        refused session comes back as an Answer with `auth_error` set (the caller logs in again)."""
        payload = {"session": session, "madonvi": self.config.agency_code, "service": service, **(body or {})}
        status, document = self._post(self.config.service_url(service, query), payload)
        code = code_of(document)
        return Answer(http_status=status, document=document, code=code, message=message_of(document),
                      auth_error=status in (401, 403) or (code is not None and code in self.config.session_error_codes))


def _snippet(raw: bytes) -> str:
    return raw[:300].decode("utf-8", "replace")
