"""The payment pages the applicant's browser sees, in Vietnamese (the default) and English (the
switcher's cookie), each in one language."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.payments.models import Payment
from tests.i18n.pages import assert_english, assert_vietnamese

from .test_payments import CALLBACK, awaiting, gateway, open_gateway_page

__all__ = ["awaiting", "gateway"]  # fixtures
pytestmark = pytest.mark.django_db


def in_language(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


def test_the_return_page_in_each_language(awaiting, gateway, api):
    payment = Payment.objects.get(dossier=awaiting)
    txn_ref = open_gateway_page(Client(), f"/thanh-toan/{payment.token}/", gateway)
    return_query, _ = gateway.pay(txn_ref, outcome="paid", send_ipn=False)
    waiting = {
        language: in_language(language).get(f"/thanh-toan/ket-qua/?{return_query}").content.decode()
        for language in ("vi", "en")
    }
    assert "Cổng thanh toán báo đã thanh toán" in " ".join(assert_vietnamese(waiting["vi"]))
    assert "The payment gateway reports the payment" in " ".join(assert_english(waiting["en"]))

    assert api.post(CALLBACK, gateway.ipn_fields(txn_ref)).json()["RspCode"] == "00"
    paid = {
        language: in_language(language).get(f"/thanh-toan/ket-qua/?{return_query}").content.decode()
        for language in ("vi", "en")
    }
    assert_vietnamese(paid["vi"])
    assert_english(paid["en"])
    assert f"Thanh toán thành công cho hồ sơ <strong>{awaiting.code}</strong>: 200.000 đồng." in paid["vi"]
    assert f"Payment received for dossier <strong>{awaiting.code}</strong>: 200,000 VND." in paid["en"]

    closed = in_language("en").get(f"/thanh-toan/{payment.token}/").content.decode()
    assert f"The fee of dossier {awaiting.code} has been paid." in " ".join(assert_english(closed))


def test_an_unverified_return_in_each_language(demo):
    vietnamese = in_language("vi").get("/thanh-toan/ket-qua/?vnp_TxnRef=x")
    english = in_language("en").get("/thanh-toan/ket-qua/?vnp_TxnRef=x")
    assert vietnamese.status_code == english.status_code == 400
    assert "Không xác thực được kết quả từ cổng thanh toán." in assert_vietnamese(vietnamese.content.decode())
    assert "The payment gateway's answer could not be verified." in assert_english(english.content.decode())


def test_an_unknown_payment_link_is_an_english_404_page(demo):
    response = in_language("en").get("/thanh-toan/no-such-token/")
    assert response.status_code == 404 and "There is no page at this address." in assert_english(
        response.content.decode()
    )
