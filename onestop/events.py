"""One typed payload per action: what a dossier event records (DESIGN.md section 2).

A ``DossierEvent`` stores its payload as JSON; everything that reads one goes through
``payload_from_json`` and gets one of the dataclasses below, matched exhaustively (``match`` with
``assert_never`` in the default branch), so a new action that a reader forgot fails loudly instead
of printing as some other action. ``payload_to_json`` writes them: instants as RFC 3339 text with
the offset they carry (services pass local times), amounts as whole-VND strings.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, get_args, get_origin, get_type_hints

from .lifecycle import Action


@dataclass(frozen=True)
class FeeItem:
    name: str
    amount: Decimal  # whole VND


@dataclass(frozen=True)
class Submitted:
    channel: str = ""
    note: str = ""


@dataclass(frozen=True)
class Registered:
    channel: str = ""
    note: str = ""
    received_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Accepted:
    received_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Rejected:
    reason: str = ""
    at_intake: bool = False


@dataclass(frozen=True)
class Assigned:
    assignee: str = ""


@dataclass(frozen=True)
class SupplementRequested:
    reason: str = ""
    items: tuple[str, ...] = ()  # free-text items
    document_types: tuple[str, ...] = ()  # document type codes of the procedure
    due_at_before: datetime | None = None

    @property
    def information_only(self) -> bool:
        return not self.document_types


@dataclass(frozen=True)
class Supplemented:
    note: str = ""
    documents: tuple[str, ...] = ()  # document type codes of the files brought
    form_data: tuple[str, ...] = ()  # form fields given (their names)
    due_at_before: datetime | None = None
    due_at_after: datetime | None = None


@dataclass(frozen=True)
class Transferred:
    from_agency: str = ""
    to_agency: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Apologised:
    reason: str = ""
    previous_appointment: datetime | None = None
    new_appointment: datetime | None = None


@dataclass(frozen=True)
class PaymentRequested:
    amount: Decimal = Decimal(0)
    items: tuple[FeeItem, ...] = ()


@dataclass(frozen=True)
class PaymentConfirmed:
    method: str = ""
    reference: str = ""
    amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class Resolved:
    result: str = ""
    note: str = ""
    timeliness: str = ""
    due_at: datetime | None = None


@dataclass(frozen=True)
class Returned:
    method: str = ""
    note: str = ""


@dataclass(frozen=True)
class Withdrawn:
    reason: str = ""


Payload = (
    Submitted | Registered | Accepted | Rejected | Assigned | SupplementRequested | Supplemented | Transferred
    | Apologised | PaymentRequested | PaymentConfirmed | Resolved | Returned | Withdrawn
)

#: Which payload each action records: one entry per action, checked complete below.
PAYLOAD_TYPES: dict[Action, type] = {
    Action.SUBMIT: Submitted,
    Action.REGISTER: Registered,
    Action.ACCEPT: Accepted,
    Action.REJECT: Rejected,
    Action.ASSIGN: Assigned,
    Action.REQUEST_SUPPLEMENT: SupplementRequested,
    Action.SUPPLEMENT: Supplemented,
    Action.TRANSFER: Transferred,
    Action.APOLOGISE: Apologised,
    Action.REQUEST_PAYMENT: PaymentRequested,
    Action.CONFIRM_PAYMENT: PaymentConfirmed,
    Action.RESOLVE: Resolved,
    Action.RETURN: Returned,
    Action.WITHDRAW: Withdrawn,
}
_missing = set(Action) - set(PAYLOAD_TYPES)
if _missing:  # pragma: no cover - a new action without its payload type fails at import
    raise ImportError(f"actions without a payload type: {sorted(_missing)}")


class UnknownAction(ValueError):
    """An event names an action this code does not know."""


def payload_type(action: str) -> type:
    try:
        return PAYLOAD_TYPES[Action(action)]
    except ValueError as exc:
        raise UnknownAction(f"unknown action {action!r}") from exc


def check_payload(action: str, payload: Payload) -> None:
    """The payload is the one `action` records (services call this before writing)."""
    expected = payload_type(action)
    if type(payload) is not expected:
        raise TypeError(f"action {action!r} records {expected.__name__}, not {type(payload).__name__}")


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal(1)))
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    return value


def payload_to_json(payload: Payload) -> dict[str, Any]:
    return _encode(payload)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin, args = get_origin(hint), get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], value)
    if hint is datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if hint is Decimal:
        return Decimal(str(value))
    if origin is tuple:
        return tuple(_decode(args[0], v) for v in value or ())
    if isinstance(hint, type) and is_dataclass(hint):
        return _from_dict(hint, value)
    return value


def _from_dict(cls: type, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{f.name: _decode(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data})


def payload_from_json(action: str, data: dict[str, Any] | None) -> Payload:
    """The typed payload of a stored event; raises UnknownAction for an action we do not know."""
    return _from_dict(payload_type(action), data or {})


def payload_text(payload: Payload) -> str:
    """The free text an event carries (reason or note), for one-line summaries."""
    match payload:
        case Rejected() | Transferred() | Apologised() | Withdrawn() | SupplementRequested():
            return payload.reason
        case Submitted() | Registered() | Supplemented() | Resolved() | Returned():
            return payload.note
        case Accepted() | Assigned() | PaymentRequested() | PaymentConfirmed():
            return ""
        case _:
            typing.assert_never(payload)
