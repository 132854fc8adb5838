"""The transition table, checked state by state and role by role (no Django)."""
import pytest

from onestop.errors import ErrorCode
from onestop.lifecycle import (
    DOSSIER_ACTIONS,
    TRANSITIONS,
    Action,
    ActionNotPermitted,
    Actor,
    InvalidTransition,
    Status,
    allowed_actions,
    check_transition,
    portal_status,
)

S, A = Status, Action

# (action, from, to) exactly as DESIGN.md section 2 lists them; None = unchanged.
EXPECTED = {
    A.ACCEPT: ({S.SUBMITTED}, S.RECEIVED),
    A.REJECT: ({S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT}, S.REJECTED),
    A.ASSIGN: ({S.RECEIVED, S.IN_PROGRESS}, S.IN_PROGRESS),
    A.REQUEST_SUPPLEMENT: ({S.RECEIVED, S.IN_PROGRESS}, S.AWAITING_SUPPLEMENT),
    A.SUPPLEMENT: ({S.AWAITING_SUPPLEMENT}, S.IN_PROGRESS),
    A.TRANSFER: ({S.RECEIVED, S.IN_PROGRESS}, None),
    A.APOLOGISE: ({S.RECEIVED, S.IN_PROGRESS}, None),
    A.REQUEST_PAYMENT: ({S.RECEIVED, S.IN_PROGRESS}, S.AWAITING_PAYMENT),
    A.CONFIRM_PAYMENT: ({S.AWAITING_PAYMENT}, S.IN_PROGRESS),
    A.RESOLVE: ({S.RECEIVED, S.IN_PROGRESS}, S.RESOLVED),
    A.RETURN: ({S.RESOLVED}, S.RETURNED),
    A.WITHDRAW: ({S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT}, S.WITHDRAWN),
}


def test_every_dossier_action_is_in_the_table():
    assert set(DOSSIER_ACTIONS) == set(EXPECTED)


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("status", list(Status))
def test_each_action_from_each_state(action, status):
    sources, target = EXPECTED[action]
    actor = next(iter(TRANSITIONS[action].actors))
    if status in sources:
        assert check_transition(status, action, [actor]) == (target or status)
    else:
        with pytest.raises(InvalidTransition) as caught:
            check_transition(status, action, [actor])
        assert caught.value.code == ErrorCode.INVALID_TRANSITION
        assert caught.value.extra["current_status"] == status
        assert caught.value.extra["allowed_actions"] == [str(a) for a in allowed_actions(status, [actor])]


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("actor", list(Actor))
def test_each_action_for_each_role(action, actor):
    sources, _ = EXPECTED[action]
    status = next(iter(sources))
    if actor in TRANSITIONS[action].actors:
        check_transition(status, action, [actor])
    else:
        with pytest.raises(ActionNotPermitted) as caught:
            check_transition(status, action, [actor])
        assert caught.value.code == ErrorCode.PERMISSION_DENIED


def test_terminal_states_allow_nothing():
    every_actor = list(Actor)
    for status in (S.RETURNED, S.REJECTED, S.WITHDRAWN):
        assert allowed_actions(status, every_actor) == []


def test_applicant_actions():
    assert allowed_actions(S.AWAITING_SUPPLEMENT, [Actor.APPLICANT]) == [A.SUPPLEMENT, A.WITHDRAW]
    assert allowed_actions(S.RESOLVED, [Actor.APPLICANT]) == []


def test_portal_status_codes():
    assert [portal_status(s) for s in (S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS)] == [1, 2, 4]
    assert portal_status(S.REJECTED, rejected_at_intake=True) == 3
    assert portal_status(S.REJECTED) == 8
    assert portal_status(S.RETURNED) == 10
