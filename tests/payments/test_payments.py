"""Online payment through a VNPay-style gateway: a fake gateway on loopback (bench/fake_gateway.py,
its own signing code), the signed redirect, the IPN callback, the browser's return and the
reconciliation job."""
from __future__ import annotations

import logging
import urllib.request
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from apps.dossiers.models import Dossier, DossierEvent
from apps.payments.models import GatewayMessage, Payment, PaymentStatus
from apps.payments.services import payments_reconcile
from bench.fake_gateway import FakeGateway
from onestop import vnpay

TMN, SECRET = "ONESTOP1", "fake-gateway-secret-0123456789"
CALLBACK = "/api/v1/payments/callback/"
FEE = Decimal(200000)


@pytest.fixture
def gateway(settings):
    fake = FakeGateway(tmn_code=TMN, secret=SECRET).start()
    settings.PAYMENT_GATEWAY = "vnpay"
    settings.VNPAY_PAY_URL = f"{fake.url}/paymentv2/vpcpay.html"
    settings.VNPAY_API_URL = f"{fake.url}/merchant_webapi/api/transaction"
    settings.VNPAY_TMN_CODE, settings.VNPAY_HASH_SECRET = TMN, SECRET
    settings.PAYMENT_RECONCILE_AFTER_MINUTES = 20
    yield fake
    fake.stop()


@pytest.fixture
def awaiting(submit, as_user, gateway, media_root) -> Dossier:
    """citizen1's online dossier, accepted, with a fee of 200 000 đồng asked (a payment opened)."""
    dossier_id = submit().json()["id"]
    clerk = as_user("clerk_tuphap")
    assert clerk.post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json").status_code == 200
    response = clerk.post(f"/api/v1/dossiers/{dossier_id}/request_payment/", {
        "amount": "200000", "items": [{"name": "Lệ phí cấp phiếu", "amount": "200000"}]}, format="json")
    assert response.status_code == 200, response.json()
    return Dossier.objects.get(pk=dossier_id)


def open_gateway_page(client: Client, payment_url: str, gateway: FakeGateway) -> str:
    """The applicant follows the payment link: our page redirects to the gateway, whose page
    (over HTTP on loopback) checks the signature and records the order. Returns the txn ref."""
    response = client.get(urlsplit(payment_url).path)
    assert response.status_code == 302, response.content[:300]
    location = response["Location"]
    assert location.startswith(gateway.url + "/paymentv2/vpcpay.html?")
    with urllib.request.urlopen(location, timeout=10) as page:  # the browser at the gateway
        assert page.status == 200
    return dict(parse_qsl(urlsplit(location).query))["vnp_TxnRef"]


def footprint(dossier: Dossier) -> tuple:
    dossier.refresh_from_db()
    return dossier.status, dossier.version, dossier.payment_method, DossierEvent.objects.filter(dossier=dossier).count()


@pytest.mark.django_db
def test_signing_agrees_with_the_gateways_own_code():
    fields = {"vnp_Amount": 20000000, "vnp_TxnRef": "000.00.17.H29-251117-0001-5-1", "vnp_OrderInfo": "Nop phi ho so",
              "vnp_ReturnUrl": "http://127.0.0.1:8000/thanh-toan/ket-qua/", "vnp_Empty": ""}
    from bench.fake_gateway import _query_hash

    assert vnpay.sign(fields, SECRET) == _query_hash(SECRET, fields) and len(vnpay.sign(fields, SECRET)) == 128
    assert vnpay.canonical_query(fields).startswith(
        "vnp_Amount=20000000&vnp_Empty=&vnp_OrderInfo=Nop+phi+ho+so&vnp_ReturnUrl=http%3A%2F%2F127.0.0.1")
    assert vnpay.verify({**fields, "vnp_SecureHash": vnpay.sign(fields, SECRET)}, SECRET)
    assert not vnpay.verify({**fields, "vnp_Amount": 1, "vnp_SecureHash": vnpay.sign(fields, SECRET)}, SECRET)
    assert vnpay.to_gateway_amount(Decimal(200000)) == 20000000 and vnpay.from_gateway_amount("20000000") == 200000
    assert vnpay.from_gateway_amount("20000050") is None and vnpay.from_gateway_amount("-1") is None


@pytest.mark.django_db
def test_request_payment_opens_a_payment_with_a_link(awaiting, as_user, gateway):
    payment = Payment.objects.get(dossier=awaiting)
    event = DossierEvent.objects.filter(dossier=awaiting, action="request_payment").get()
    assert (payment.status, payment.amount, payment.gateway) == (PaymentStatus.PENDING, FEE, "vnpay")
    assert payment.txn_ref == f"{awaiting.code}-{event.pk}-1"  # the dossier code + the event
    resource = as_user("citizen1").get(f"/api/v1/dossiers/{awaiting.pk}/payment/").json()
    assert resource["status"] == "pending" and resource["amount"] == "200000"
    assert resource["payment_url"].endswith(f"/thanh-toan/{payment.token}/")
    assert as_user("citizen2").get(f"/api/v1/dossiers/{awaiting.pk}/payment/").status_code == 404
    # The redirect is signed: the gateway's page accepts it, with the amount in VND × 100.
    txn_ref = open_gateway_page(Client(), resource["payment_url"], gateway)
    assert txn_ref == payment.txn_ref and gateway.orders[txn_ref]["amount"] == 20000000
    assert gateway.page_errors == []
    # The public lookup page offers the same link.
    page = Client().post("/tra-cuu/", {"ma": awaiting.code, "so_giay_to": awaiting.applicant_id_number})
    assert resource["payment_url"] in page.content.decode() and "Chờ nộp phí" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_paid_end_to_end_over_loopback_then_a_replay_changes_nothing(awaiting, gateway, live_server, as_user):
    """The gateway posts its IPN to the live server, as it would in production."""
    gateway.ipn_url = live_server.url + CALLBACK
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"http://x/thanh-toan/{payment.token}/", gateway)
    return_query, answer = gateway.pay(txn_ref, outcome="paid")
    assert answer == {"RspCode": "00", "Message": "Confirm Success"}
    awaiting.refresh_from_db()
    assert awaiting.status == "in_progress" and awaiting.payment_method == "online" and awaiting.paid_at
    confirm = DossierEvent.objects.filter(dossier=awaiting, action="confirm_payment").get()
    assert confirm.actor_role == "payment_callback" and confirm.actor is None
    assert confirm.payload["method"] == "online" and confirm.payload["reference"].startswith("vnpay:")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and payment.transaction_no
    # Gateways retry: the same IPN again is "already confirmed" and writes nothing.
    before = footprint(awaiting)
    assert gateway.send_ipn(gateway.ipn_fields(txn_ref)) == {"RspCode": "02", "Message": "Order already confirmed"}
    assert footprint(awaiting) == before
    # The browser comes back: the page says paid.
    page = Client().get(f"/thanh-toan/ket-qua/?{return_query}")
    assert page.status_code == 200 and 'id="payment-paid"' in page.content.decode()
    # The online-payment rate counts it.
    today = timezone.localdate()
    summary = as_user("supervisor").get("/api/v1/stats/summary/", {
        "from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}).json()
    assert summary["online_payment_rate"]["value"] == 1.0


@pytest.mark.django_db
def test_cancelled_payment_changes_no_dossier_and_can_be_retried(awaiting, gateway, api):
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    return_query, _ = gateway.pay(txn_ref, outcome="cancelled", send_ipn=False)
    before = footprint(awaiting)
    answer = api.post(CALLBACK, gateway.ipn_fields(txn_ref))  # a form, as VNPay sends it
    assert answer.status_code == 200 and answer.json()["RspCode"] == "00"
    assert footprint(awaiting) == before and before[0] == "awaiting_payment"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.response_code == "24"
    page = Client().get(f"/thanh-toan/ket-qua/?{return_query}")
    assert 'id="payment-failed"' in page.content.decode()
    # The same link again: a new attempt under a new reference (a gateway takes one reference once).
    retry_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    assert retry_ref == txn_ref[:-1] + "2" and gateway.page_errors == []
    gateway.pay(retry_ref, send_ipn=False)
    assert api.post(CALLBACK, gateway.ipn_fields(retry_ref)).json()["RspCode"] == "00"
    assert footprint(awaiting)[0] == "in_progress"
    # Once paid, the old link leads nowhere.
    closed = Client().get(f"/thanh-toan/{payment.token}/")
    assert closed.status_code == 200 and "không còn hiệu lực" in closed.content.decode()


@pytest.mark.django_db
def test_wrong_amount_or_signature_changes_nothing_and_is_logged(awaiting, gateway, api, caplog):
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    gateway.pay(txn_ref, send_ipn=False)
    before = footprint(awaiting)
    caplog.set_level(logging.WARNING, logger="apps.payments.services")

    wrong_amount = gateway.ipn_fields(txn_ref, amount=100000 * 100)  # correctly signed, 100 000 đồng
    assert api.post(CALLBACK, wrong_amount).json() == {"RspCode": "04", "Message": "Invalid amount"}
    forged = {**gateway.ipn_fields(txn_ref), "vnp_Amount": "100"}  # tampered after signing
    assert api.post(CALLBACK, forged).json() == {"RspCode": "97", "Message": "Invalid signature"}
    other_merchant = FakeGateway(tmn_code="OTHER", secret=SECRET)
    other_merchant.orders = gateway.orders
    assert api.post(CALLBACK, other_merchant.ipn_fields(txn_ref)).json()["RspCode"] == "97"
    unsigned = {k: v for k, v in gateway.ipn_fields(txn_ref).items() if k != "vnp_SecureHash"}
    assert api.post(CALLBACK, unsigned).json()["RspCode"] == "97"

    assert footprint(awaiting) == before
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    logged = list(GatewayMessage.objects.order_by("id").values_list("outcome", flat=True))
    assert logged == ["04", "97", "97", "97"]
    assert "payment callback refused" in caplog.text
    # The genuine notification still works afterwards.
    assert api.post(CALLBACK, gateway.ipn_fields(txn_ref)).json()["RspCode"] == "00"


@pytest.mark.django_db
def test_callback_before_the_browser_returns(awaiting, gateway, api):
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    return_query, _ = gateway.pay(txn_ref, send_ipn=False)
    # The browser first: the page does not settle anything (only the gateway's IPN does).
    early = Client().get(f"/thanh-toan/ket-qua/?{return_query}")
    assert early.status_code == 200 and 'id="payment-waiting"' in early.content.decode()
    assert footprint(awaiting)[0] == "awaiting_payment"
    # A forged return is not believed.
    forged = Client().get(f"/thanh-toan/ket-qua/?{return_query.replace('vnp_ResponseCode=00', 'vnp_ResponseCode=01')}")
    assert forged.status_code == 400 and 'id="payment-unverified"' in forged.content.decode()
    # Then the IPN, then the browser again (the usual order: the IPN comes before the redirect).
    assert api.post(CALLBACK, gateway.ipn_fields(txn_ref)).json()["RspCode"] == "00"
    late = Client().get(f"/thanh-toan/ket-qua/?{return_query}")
    assert 'id="payment-paid"' in late.content.decode() and footprint(awaiting)[0] == "in_progress"


@pytest.mark.django_db
def test_reconciliation_asks_the_gateway_when_the_callback_never_arrives(submit, as_user, awaiting, gateway):
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    gateway.pay(txn_ref, send_ipn=False)  # paid, but the IPN is lost
    now = timezone.now()
    assert payments_reconcile(now=now)["asked"] == 0  # not pending for N minutes yet
    later = now + timedelta(minutes=21)
    assert payments_reconcile(now=later) == {"asked": 1, "paid": 1, "failed": 0, "still_pending": 0}
    assert gateway.queries and gateway.queries[-1]["vnp_TxnRef"] == txn_ref
    awaiting.refresh_from_db()
    assert awaiting.status == "in_progress" and awaiting.payment_method == "online"
    assert DossierEvent.objects.get(dossier=awaiting, action="confirm_payment").actor_role == "payment_callback"
    assert payments_reconcile(now=later + timedelta(minutes=30))["asked"] == 0  # settled: never asked again
    # A late IPN after reconciliation: already confirmed.
    assert Client().post(CALLBACK, gateway.ipn_fields(txn_ref)).json()["RspCode"] == "02"


@pytest.mark.django_db
def test_reconciliation_of_cancelled_and_unopened_payments(submit, as_user, gateway, media_root, settings):
    clerk = as_user("clerk_tuphap")
    dossiers = []
    for _ in range(2):
        dossier_id = submit().json()["id"]
        clerk.post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json")
        clerk.post(f"/api/v1/dossiers/{dossier_id}/request_payment/", {"amount": "50000"}, format="json")
        dossiers.append(Dossier.objects.get(pk=dossier_id))
    cancelled, unopened = (Payment.objects.get(dossier=d) for d in dossiers)
    gateway.pay(open_gateway_page(Client(), f"/thanh-toan/{cancelled.token}/", gateway), outcome="cancelled",
                send_ipn=False)
    later = timezone.now() + timedelta(minutes=25)
    assert payments_reconcile(now=later) == {"asked": 2, "paid": 0, "failed": 1, "still_pending": 1}
    cancelled.refresh_from_db()
    unopened.refresh_from_db()
    assert cancelled.status == PaymentStatus.FAILED
    assert unopened.status == PaymentStatus.PENDING and unopened.checks == 1  # the gateway never saw it
    assert all(footprint(d)[0] == "awaiting_payment" for d in dossiers)
    assert payments_reconcile(now=later + timedelta(minutes=5))["asked"] == 0  # asked at most once per N minutes
    # The gateway down: nothing breaks, the payment stays pending.
    gateway.stop()
    assert payments_reconcile(now=later + timedelta(minutes=60))["still_pending"] == 1


@pytest.mark.django_db
def test_a_gateway_payment_after_a_counter_payment_is_recorded_for_refund(awaiting, gateway, as_user, api):
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    clerk = as_user("clerk_tuphap")
    assert clerk.post(f"/api/v1/dossiers/{awaiting.pk}/confirm_payment/", {"method": "counter"},
                      format="json").status_code == 200
    gateway.pay(txn_ref, send_ipn=False)
    before = footprint(awaiting)
    assert api.post(CALLBACK, gateway.ipn_fields(txn_ref)).json()["RspCode"] == "00"  # recorded
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUND_DUE and footprint(awaiting) == before


@pytest.mark.django_db
def test_a_clerk_cannot_mark_a_payment_online_by_hand(awaiting, as_user):
    clerk = as_user("clerk_tuphap")
    response = clerk.post(f"/api/v1/dossiers/{awaiting.pk}/confirm_payment/", {"method": "online"}, format="json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "method"
    assert footprint(awaiting)[0] == "awaiting_payment"


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "content_type"), [
    ('["vnp_TxnRef"]', "application/json"), ('{"vnp_TxnRef": {"x": 1}}', "application/json"),
    ("{not json", "application/json"), ("vnp_TxnRef=1", "text/plain"),
])
def test_callback_bad_input_is_problem_json(gateway, api, body, content_type):
    response = api.generic("POST", CALLBACK, body, content_type=content_type)
    assert response.status_code in (400, 415)
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_unknown_order_and_no_gateway(gateway, api, settings, submit, as_user, media_root):
    gateway.orders["NOPE-1-1"] = {"amount": 100, "order_info": "", "return_url": "", "create_date": "",
                                 "state": "paid", "transaction_no": "1", "pay_date": ""}
    assert api.post(CALLBACK, gateway.ipn_fields("NOPE-1-1")).json()["RspCode"] == "01"
    settings.PAYMENT_GATEWAY = ""
    dossier_id = submit().json()["id"]
    clerk = as_user("clerk_tuphap")
    clerk.post(f"/api/v1/dossiers/{dossier_id}/accept/", {}, format="json")
    assert clerk.post(f"/api/v1/dossiers/{dossier_id}/request_payment/", {"amount": "50000"},
                      format="json").status_code == 200
    assert not Payment.objects.filter(dossier_id=dossier_id).exists()  # no gateway: the counter only
    assert as_user("citizen1").get(f"/api/v1/dossiers/{dossier_id}/payment/").status_code == 404
    assert api.post(CALLBACK, gateway.ipn_fields("NOPE-1-1")).json()["RspCode"] == "99"
