"""One registry entry per action: everything the code says about an action, in one place.

The transition table (who, from where, to where) is `onestop.lifecycle.TRANSITIONS`; the payload the
event records is `onestop.events.PAYLOAD_TYPES`. Here, per action: the endpoint's input serializer
and the service it calls, whether it takes files, whether the applicant is told (notifications) or
mailed a form (documents), and its label on the control slip. The API builds its action endpoints
from this table, apps/notifications reads `announced`, apps/documents reads `mailed` and `slip_label`.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rest_framework import serializers

from onestop.events import PAYLOAD_TYPES
from onestop.lifecycle import DOSSIER_ACTIONS, Action

from . import services
from .api import serializers as s


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    #: Input serializer and service of the action endpoint; None for submit/register (own endpoints).
    serializer: type[serializers.Serializer] | None
    service: Callable[..., Any] | None
    #: Serializer field -> service keyword, where the names differ.
    rename: Mapping[str, str] = field(default_factory=dict)
    takes_files: bool = False
    #: The applicant is told (e-mail/SMS, apps/notifications).
    announced: bool = False
    #: The form e-mailed to the applicant with the event (apps/documents), if any.
    mailed: str | None = None
    #: The step's label on the control slip; None: not a step of the slip.
    slip_label: str | None = None

    @property
    def payload_type(self) -> type:
        return PAYLOAD_TYPES[self.action]

    def call(self, *, dossier_id: int, caller: services.Caller, data: dict[str, Any], uploads: list,
             expected_version: int | None) -> Any:
        assert self.service is not None, f"{self.action} has no action endpoint"
        kwargs = {self.rename.get(name, name): value for name, value in data.items()}
        if self.takes_files:
            kwargs["documents"] = uploads
        return self.service(dossier_id=dossier_id, caller=caller, expected_version=expected_version, **kwargs)


A = Action
_SPECS = (
    ActionSpec(A.SUBMIT, None, None),
    ActionSpec(A.REGISTER, None, None, announced=True, mailed="receipt", slip_label="Tiếp nhận hồ sơ"),
    ActionSpec(A.ACCEPT, s.EmptySerializer, services.dossier_accept, announced=True, mailed="receipt",
               slip_label="Tiếp nhận hồ sơ trực tuyến"),
    ActionSpec(A.REJECT, s.ReasonSerializer, services.dossier_reject, announced=True,
               slip_label="Từ chối, trả hồ sơ"),
    ActionSpec(A.ASSIGN, s.AssignSerializer, services.dossier_assign, rename={"assignee": "assignee_username"},
               slip_label="Chuyển xử lý"),
    ActionSpec(A.REQUEST_SUPPLEMENT, s.SupplementRequestSerializer, services.dossier_request_supplement,
               announced=True, slip_label="Yêu cầu bổ sung hồ sơ"),
    ActionSpec(A.SUPPLEMENT, s.SupplementSerializer, services.dossier_supplement, takes_files=True,
               slip_label="Bổ sung hồ sơ"),
    ActionSpec(A.TRANSFER, s.TransferSerializer, services.dossier_transfer, rename={"agency": "agency_code"},
               slip_label="Chuyển cơ quan giải quyết"),
    ActionSpec(A.APOLOGISE, s.ApologiseSerializer, services.dossier_apologise, announced=True, mailed="apology",
               slip_label="Xin lỗi, hẹn lại ngày trả"),
    ActionSpec(A.REQUEST_PAYMENT, s.PaymentRequestSerializer, services.dossier_request_payment, announced=True,
               slip_label="Yêu cầu nộp phí, lệ phí"),
    ActionSpec(A.CONFIRM_PAYMENT, s.PaymentConfirmSerializer, services.dossier_confirm_payment,
               slip_label="Xác nhận đã nộp phí, lệ phí"),
    ActionSpec(A.RESOLVE, s.ResolveSerializer, services.dossier_resolve, takes_files=True, announced=True,
               slip_label="Giải quyết xong, chuyển trả kết quả"),
    ActionSpec(A.RETURN, s.ReturnSerializer, services.dossier_return, announced=True, slip_label="Trả kết quả"),
    ActionSpec(A.WITHDRAW, s.OptionalReasonSerializer, services.dossier_withdraw, slip_label="Rút hồ sơ"),
)
ACTIONS: dict[Action, ActionSpec] = {spec.action: spec for spec in _SPECS}

if set(ACTIONS) != set(Action):  # pragma: no cover - a new action without its entry fails at import
    raise ImportError(f"actions without a registry entry: {sorted(set(Action) - set(ACTIONS))}")
if any(ACTIONS[a].service is None for a in DOSSIER_ACTIONS):  # pragma: no cover
    raise ImportError("every action on an existing dossier needs its service and serializer")

#: The actions the applicant is told about.
ANNOUNCED: frozenset[Action] = frozenset(a for a, spec in ACTIONS.items() if spec.announced)
#: Which action mails which form.
MAILED_ON: dict[Action, str] = {a: spec.mailed for a, spec in ACTIONS.items() if spec.mailed}
#: The actions that are steps of the control slip, and their labels.
SLIP_LABELS: dict[Action, str] = {a: spec.slip_label for a, spec in ACTIONS.items() if spec.slip_label}
