"""Every lifecycle action over HTTP: allowed per role and state, refused otherwise (real PostgreSQL)."""
from __future__ import annotations

import pytest

from apps.dossiers.models import Dossier, DossierEvent
from onestop.lifecycle import TRANSITIONS, Action, Actor, Status

from .conftest import RECORD_DOCS, multipart

PAYLOADS = {
    "accept": {},
    "reject": {"reason": "Hồ sơ không đúng thẩm quyền"},
    "assign": {"assignee": "specialist_tuphap"},
    "request_supplement": {"reason": "Thiếu giấy tờ", "items": ["Bản sao Căn cước công dân"]},
    "supplement": {"note": "Đã bổ sung"},
    "transfer": {"agency": "000.00.12.H29", "reason": "Liên thông"},
    "apologise": {"reason": "Chờ ý kiến cơ quan phối hợp", "new_appointment": "2099-01-05T09:00:00+07:00"},
    "request_payment": {"amount": "200000", "items": [{"name": "Lệ phí", "amount": "200000"}]},
    "confirm_payment": {"method": "counter", "reference": "BL-0001"},  # online: only the gateway (apps/payments)
    "resolve": {"result": "approved"},
    "return": {"method": "counter"},
    "withdraw": {"reason": ""},
}

# Users acting on a dossier of 000.00.17.H29 filed by citizen1.
ACTOR_USERS = {
    Actor.APPLICANT: "citizen1",
    Actor.CLERK: "clerk_tuphap",
    Actor.SPECIALIST: "specialist_tuphap",
    Actor.LEADER: "leader_tuphap",
}
# Who sees the dossier but holds no role for actions on it, and who does not see it at all.
VISIBLE_WITHOUT_ROLE = ["supervisor"]
NOT_VISIBLE = ["citizen2", "clerk_xuanquan", "stats_vangiang"]

# How to bring a fresh dossier into each state: (action, acting user) steps after submission.
PATHS: dict[Status, list[tuple[str, str]]] = {
    Status.SUBMITTED: [],
    Status.RECEIVED: [("accept", "clerk_tuphap")],
    Status.IN_PROGRESS: [("accept", "clerk_tuphap"), ("assign", "clerk_tuphap")],
    Status.AWAITING_SUPPLEMENT: [("accept", "clerk_tuphap"), ("request_supplement", "clerk_tuphap")],
    Status.AWAITING_PAYMENT: [("accept", "clerk_tuphap"), ("request_payment", "clerk_tuphap")],
    Status.RESOLVED: [("accept", "clerk_tuphap"), ("resolve", "specialist_tuphap")],
    Status.RETURNED: [("accept", "clerk_tuphap"), ("resolve", "specialist_tuphap"), ("return", "clerk_tuphap")],
    Status.REJECTED: [("reject", "clerk_tuphap")],
    Status.WITHDRAWN: [("withdraw", "citizen1")],
}


@pytest.fixture
def dossier_in(submit, as_user, media_root):
    def make(state: Status) -> int:
        response = submit()
        assert response.status_code == 201, response.json()
        dossier_id = response.json()["id"]
        for action, username in PATHS[state]:
            step = as_user(username).post(f"/api/v1/dossiers/{dossier_id}/{action}/", PAYLOADS[action], format="json")
            assert step.status_code == 200, (action, step.json())
        assert Dossier.objects.get(pk=dossier_id).status == state
        return dossier_id

    return make


def _act(client, dossier_id: int, action: str, **headers):
    return client.post(f"/api/v1/dossiers/{dossier_id}/{action}/", PAYLOADS[action], format="json", **headers)


def _first_source(action: Action) -> Status:
    return sorted(TRANSITIONS[action].sources)[0]


ROLE_CASES = [
    (action, who)
    for action in PAYLOADS
    for who in [*ACTOR_USERS.values(), *VISIBLE_WITHOUT_ROLE, *NOT_VISIBLE]
]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "username"), ROLE_CASES)
def test_action_per_role(dossier_in, as_user, action, username, transfer_target):
    transition = TRANSITIONS[Action(action)]
    dossier_id = dossier_in(_first_source(Action(action)))
    before = DossierEvent.objects.filter(dossier_id=dossier_id).count()
    response = _act(as_user(username), dossier_id, action)

    allowed = {ACTOR_USERS[a] for a in transition.actors if a in ACTOR_USERS}
    if username in allowed:
        assert response.status_code == 200, response.json()
        assert DossierEvent.objects.filter(dossier_id=dossier_id).count() == before + 1
        return
    expected = 404 if username in NOT_VISIBLE else 403
    assert response.status_code == expected, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert DossierEvent.objects.filter(dossier_id=dossier_id).count() == before


STATE_CASES = [(action, state) for action in PAYLOADS for state in Status]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "state"), STATE_CASES)
def test_action_per_state(dossier_in, as_user, action, state, transfer_target):
    transition = TRANSITIONS[Action(action)]
    dossier_id = dossier_in(state)
    actor = sorted(a for a in transition.actors if a in ACTOR_USERS)[0]
    version = Dossier.objects.get(pk=dossier_id).version
    response = _act(as_user(ACTOR_USERS[actor]), dossier_id, action)
    if state in transition.sources:
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["status"] == (transition.target or state)
        assert body["version"] == version + 1
    else:
        assert response.status_code == 409, response.json()
        body = response.json()
        assert body["code"] == "invalid_transition"
        assert body["current_status"] == state
        assert isinstance(body["allowed_actions"], list)
        assert Dossier.objects.get(pk=dossier_id).version == version


@pytest.mark.django_db
def test_full_happy_path_history(dossier_in, as_user):
    dossier_id = dossier_in(Status.SUBMITTED)
    clerk, specialist = as_user("clerk_tuphap"), as_user("specialist_tuphap")
    applicant = as_user("citizen1")
    steps = [
        (clerk, "accept"), (clerk, "assign"), (specialist, "request_supplement"), (applicant, "supplement"),
        (clerk, "request_payment"), (clerk, "confirm_payment"), (specialist, "resolve"), (clerk, "return"),
    ]
    for client, action in steps:
        assert _act(client, dossier_id, action).status_code == 200, action
    history = applicant.get(f"/api/v1/dossiers/{dossier_id}/history/").json()["results"]
    assert [e["action"] for e in history] == ["submit"] + [a for _, a in steps]
    assert [e["to_status"] for e in history] == [
        "submitted", "received", "in_progress", "awaiting_supplement", "in_progress",
        "awaiting_payment", "in_progress", "resolved", "returned",
    ]
    assert all(history[i]["from_status"] == history[i - 1]["to_status"] for i in range(1, len(history)))
    dossier = applicant.get(f"/api/v1/dossiers/{dossier_id}/").json()
    assert dossier["payment_method"] == "counter" and dossier["timeliness"] in ("early", "on_time")


@pytest.mark.django_db
def test_history_rows_cannot_be_changed(dossier_in):
    from django.db import DatabaseError, transaction

    dossier_id = dossier_in(Status.RECEIVED)
    event = DossierEvent.objects.filter(dossier_id=dossier_id).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        DossierEvent.objects.filter(pk=event.pk).update(action="reject")
    with pytest.raises(DatabaseError), transaction.atomic():
        DossierEvent.objects.filter(pk=event.pk).delete()
    assert DossierEvent.objects.get(pk=event.pk).action == event.action


@pytest.mark.django_db
def test_etag_and_if_match(dossier_in, as_user):
    dossier_id = dossier_in(Status.SUBMITTED)
    clerk = as_user("clerk_tuphap")
    read = clerk.get(f"/api/v1/dossiers/{dossier_id}/")
    etag = read["ETag"]
    assert etag == f'"{dossier_id}.1"'
    stale = f'"{dossier_id}.0"'
    response = _act(clerk, dossier_id, "accept", HTTP_IF_MATCH=stale)
    assert response.status_code == 412 and response.json()["code"] == "precondition_failed"
    other = f'"{dossier_id + 1000}.1"'
    assert _act(clerk, dossier_id, "accept", HTTP_IF_MATCH=other).status_code == 412
    ok = _act(clerk, dossier_id, "accept", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] == f'"{dossier_id}.2"'
    # The old ETag is now stale.
    assert _act(clerk, dossier_id, "reject", HTTP_IF_MATCH=etag).status_code == 412


@pytest.mark.django_db
def test_refusal_needs_a_reason_and_rejection_at_intake_is_flagged(dossier_in, as_user):
    dossier_id = dossier_in(Status.RECEIVED)
    specialist = as_user("specialist_tuphap")
    refused = specialist.post(f"/api/v1/dossiers/{dossier_id}/resolve/", {"result": "refused"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "note"

    intake = dossier_in(Status.SUBMITTED)
    assert _act(as_user("clerk_tuphap"), intake, "reject").status_code == 200
    assert Dossier.objects.get(pk=intake).rejected_at_intake is True
    missing = as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier_in(Status.SUBMITTED)}/reject/", {},
                                           format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "reason"


@pytest.mark.django_db
def test_transfer_moves_the_dossier_out_of_the_clerks_scope(dossier_in, as_user, transfer_target):
    dossier_id = dossier_in(Status.RECEIVED)
    clerk = as_user("clerk_tuphap")
    assert _act(clerk, dossier_id, "transfer").status_code == 200
    # The receiving agency keeps read-only access (issue 15): it sees the dossier, acts no more.
    detail = clerk.get(f"/api/v1/dossiers/{dossier_id}/")
    assert detail.status_code == 200 and detail.json()["agency"] == "000.00.12.H29"
    assert detail.json()["allowed_actions"] == []
    refused = clerk.post(f"/api/v1/dossiers/{dossier_id}/assign/", {"assignee": "specialist_tuphap"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    for read in ("history/", "documents/", "documents/receipt.pdf", "documents/control_slip.pdf", "receipt/"):
        assert clerk.get(f"/api/v1/dossiers/{dossier_id}/{read}").status_code == 200, read
    queue = [row["id"] for row in clerk.get("/api/v1/dossiers/").json()["results"]]
    assert dossier_id not in queue
    passed = [row["id"] for row in clerk.get("/api/v1/dossiers/", {"transferred_out": "true"}).json()["results"]]
    assert passed == [dossier_id]
    history = as_user("citizen1").get(f"/api/v1/dossiers/{dossier_id}/history/").json()["results"]
    assert history[-1]["payload"]["from_agency"] == "000.00.17.H29"
    assert history[-1]["payload"]["to_agency"] == "000.00.12.H29"
    assert Dossier.objects.get(pk=dossier_id).receiving_agency.code == "000.00.17.H29"


@pytest.mark.django_db
def test_assign_only_to_staff_of_the_agency(dossier_in, as_user):
    dossier_id = dossier_in(Status.RECEIVED)
    for username in ("clerk_xuanquan", "citizen1", "nobody"):
        response = as_user("clerk_tuphap").post(
            f"/api/v1/dossiers/{dossier_id}/assign/", {"assignee": username}, format="json"
        )
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "assignee"


@pytest.mark.django_db
def test_online_return_only_for_level_four(dossier_in, as_user, submit, media_root):
    dossier_id = dossier_in(Status.RESOLVED)  # 2.000488 is level 4 here
    ok = as_user("clerk_tuphap").post(f"/api/v1/dossiers/{dossier_id}/return/", {"method": "online"}, format="json")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_documents_are_downloadable_by_who_sees_the_dossier(dossier_in, as_user):
    dossier_id = dossier_in(Status.SUBMITTED)
    documents = as_user("citizen1").get(f"/api/v1/dossiers/{dossier_id}/documents/").json()["results"]
    assert sorted(d["document_type"] for d in documents) == sorted(RECORD_DOCS)
    url = documents[0]["download_url"]
    response = as_user("clerk_tuphap").get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    import hashlib

    assert hashlib.sha256(content).hexdigest() == documents[0]["sha256"]
    assert as_user("citizen2").get(url).status_code == 404
    assert as_user("clerk_xuanquan").get(url).status_code == 404


@pytest.mark.django_db
def test_supplement_with_files(dossier_in, as_user):
    from .conftest import PDF

    dossier_id = dossier_in(Status.AWAITING_SUPPLEMENT)
    response = as_user("citizen1").post(
        f"/api/v1/dossiers/{dossier_id}/supplement/",
        multipart({"note": "Bổ sung CCCD"}, {"CCCD": PDF}),
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    listed = as_user("citizen1").get(f"/api/v1/dossiers/{dossier_id}/documents/").json()["results"]
    stages = [d["stage"] for d in listed]
    assert stages.count("supplement") == 1


@pytest.mark.django_db
def test_event_feed_position_never_goes_back_within_a_dossier(dossier_in, as_user):
    """Regression: a transaction can own a lower id than the dossier's previous event (it got its
    id before waiting for the row lock); the feed position must still increase per dossier."""
    dossier_id = dossier_in(Status.SUBMITTED)
    last = DossierEvent.objects.filter(dossier_id=dossier_id).latest("id")
    ahead = 10**12  # as if the previous event's transaction had a far higher id than ours
    DossierEvent.objects.create(dossier_id=dossier_id, action="assign", from_status="submitted",
                                to_status="submitted", actor_role="clerk", agency_id=last.agency_id,
                                at=last.at, payload={}, txid=ahead)
    assert _act(as_user("clerk_tuphap"), dossier_id, "accept").status_code == 200
    assert DossierEvent.objects.filter(dossier_id=dossier_id).latest("id").txid == ahead
