"""The dossier lifecycle: states, actions, who may take them and from where (DESIGN.md section 2).

The transition table lives here once; services apply it under a row lock, the API lists the
allowed actions from it, and the portal mapping reads the same states.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import DomainError, ErrorCode


class Status(StrEnum):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    AWAITING_PAYMENT = "awaiting_payment"
    RESOLVED = "resolved"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    REGISTER = "register"
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    TRANSFER = "transfer"
    APOLOGISE = "apologise"
    REQUEST_PAYMENT = "request_payment"
    CONFIRM_PAYMENT = "confirm_payment"
    RESOLVE = "resolve"
    RETURN = "return"
    WITHDRAW = "withdraw"


class Actor(StrEnum):
    APPLICANT = "applicant"
    CLERK = "clerk"
    SPECIALIST = "specialist"
    LEADER = "leader"
    PORTAL = "portal"
    PAYMENT_CALLBACK = "payment_callback"


S = Status
A = Actor

#: States after which nothing more happens to a dossier.
TERMINAL: frozenset[Status] = frozenset({S.RETURNED, S.REJECTED, S.WITHDRAWN})
#: States in which the dossier is with the agency and its clock may run.
OPEN: frozenset[Status] = frozenset({S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT})
#: The states a dossier is "finished" in for ratings.
FINISHED: frozenset[Status] = frozenset({S.RESOLVED, S.RETURNED, S.REJECTED})
#: Open states in which a received dossier's clock runs (a supplement pause stops it).
CLOCK_RUNNING: frozenset[Status] = frozenset({S.RECEIVED, S.IN_PROGRESS, S.AWAITING_PAYMENT})
#: Channels that count as online (DESIGN.md section 6): the applicant's own filing and the portal's.
ONLINE_CHANNELS: frozenset[str] = frozenset({"online", "portal"})


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    """Overdue: the clock runs and its due time has passed (DESIGN.md section 3). The one test;
    querysets apply the same condition through ``CLOCK_RUNNING`` (apps/dossiers/selectors.py)."""
    return status in CLOCK_RUNNING and due_at is not None and due_at < now


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[Status]  # empty: creates the dossier
    target: Status | None  # None: the status stays as it is
    actors: frozenset[Actor]

    def target_from(self, current: Status) -> Status:
        return self.target if self.target is not None else current


def _t(action: Action, sources: Iterable[Status], target: Status | None, actors: Iterable[Actor]) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(actors))


TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.SUBMIT, (), S.SUBMITTED, (A.APPLICANT, A.PORTAL)),
        _t(Action.REGISTER, (), S.RECEIVED, (A.CLERK,)),
        _t(Action.ACCEPT, (S.SUBMITTED,), S.RECEIVED, (A.CLERK,)),
        _t(
            Action.REJECT,
            (S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT),
            S.REJECTED,
            (A.CLERK, A.LEADER),
        ),
        _t(Action.ASSIGN, (S.RECEIVED, S.IN_PROGRESS), S.IN_PROGRESS, (A.CLERK, A.LEADER)),
        _t(Action.REQUEST_SUPPLEMENT, (S.RECEIVED, S.IN_PROGRESS), S.AWAITING_SUPPLEMENT, (A.CLERK, A.SPECIALIST)),
        _t(Action.SUPPLEMENT, (S.AWAITING_SUPPLEMENT,), S.IN_PROGRESS, (A.APPLICANT, A.CLERK)),
        _t(Action.TRANSFER, (S.RECEIVED, S.IN_PROGRESS), None, (A.CLERK, A.LEADER)),
        _t(Action.APOLOGISE, (S.RECEIVED, S.IN_PROGRESS), None, (A.LEADER,)),
        _t(Action.REQUEST_PAYMENT, (S.RECEIVED, S.IN_PROGRESS), S.AWAITING_PAYMENT, (A.CLERK,)),
        _t(Action.CONFIRM_PAYMENT, (S.AWAITING_PAYMENT,), S.IN_PROGRESS, (A.CLERK, A.PAYMENT_CALLBACK)),
        _t(Action.RESOLVE, (S.RECEIVED, S.IN_PROGRESS), S.RESOLVED, (A.SPECIALIST, A.LEADER)),
        _t(Action.RETURN, (S.RESOLVED,), S.RETURNED, (A.CLERK,)),
        _t(
            Action.WITHDRAW,
            (S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT),
            S.WITHDRAWN,
            (A.APPLICANT,),
        ),
    )
}

#: Actions on an existing dossier (everything but the two that create one).
DOSSIER_ACTIONS: tuple[Action, ...] = tuple(a for a, t in TRANSITIONS.items() if t.sources)


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION


class ActionNotPermitted(DomainError):
    code = ErrorCode.PERMISSION_DENIED


def allowed_actions(status: Status, actors: Iterable[Actor]) -> list[Action]:
    """Actions these actors may take from this state, in table order."""
    roles = frozenset(actors)
    return [a for a in DOSSIER_ACTIONS if status in TRANSITIONS[a].sources and TRANSITIONS[a].actors & roles]


def check_transition(status: Status, action: Action, actors: Iterable[Actor]) -> Status:
    """Return the state `action` leads to, or raise: wrong role first, then wrong state."""
    transition = TRANSITIONS[action]
    roles = frozenset(actors)
    if not transition.actors & roles:
        raise ActionNotPermitted(
            "Action “%(action)s” is not open to your role.",
            params={"action": str(action)},
            extra={"action": str(action), "allowed_roles": sorted(transition.actors)},
        )
    if status not in transition.sources:
        allowed = allowed_actions(status, roles)
        raise InvalidTransition(
            "Action “%(action)s” is not allowed while the dossier is “%(status)s”.",
            params={"action": str(action), "status": str(status)},
            extra={
                "current_status": str(status),
                "action": str(action),
                "allowed_actions": [str(a) for a in allowed],
            },
        )
    return transition.target_from(status)


#: The national portal's TrangThaiHoSo codes (DESIGN.md section 2).
PORTAL_STATUS: dict[Status, int] = {
    S.SUBMITTED: 1,
    S.RECEIVED: 2,
    S.IN_PROGRESS: 4,
    S.AWAITING_SUPPLEMENT: 5,
    S.AWAITING_PAYMENT: 6,
    S.WITHDRAWN: 7,
    S.RESOLVED: 9,
    S.RETURNED: 10,
}
PORTAL_REJECTED_AT_INTAKE = 3
PORTAL_PROCESSING_STOPPED = 8


def portal_status(status: Status, *, rejected_at_intake: bool = False) -> int:
    if status == S.REJECTED:
        return PORTAL_REJECTED_AT_INTAKE if rejected_at_intake else PORTAL_PROCESSING_STOPPED
    return PORTAL_STATUS[status]
