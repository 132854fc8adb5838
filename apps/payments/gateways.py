"""How a payment reaches a gateway: an adapter (like the portal's transport), chosen by settings.

    PAYMENT_GATEWAY=vnpay   VNPay 2.1.0 (signed redirect + IPN + querydr), onestop/vnpay.py
    PAYMENT_GATEWAY=        no gateway: request_payment opens nothing (the fee is paid at the counter)

An adapter signs the redirect that sends the applicant's browser to the gateway, reads (and
verifies) what the gateway sends back, and asks it about a transaction (reconciliation).
"""
from __future__ import annotations

import http.client
import json
import logging
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from onestop import vnpay

from .models import Payment

logger = logging.getLogger(__name__)
VN = ZoneInfo("Asia/Ho_Chi_Minh")  # the gateway's dates are Vietnamese local time, GMT+7


class InvalidSignature(Exception):
    pass


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway says about one transaction (IPN, return or query)."""

    txn_ref: str
    state: str  # "paid", "failed", "pending" (the gateway does not know yet), "unknown" (no such order)
    amount: Decimal | None = None
    transaction_no: str = ""
    bank_code: str = ""
    response_code: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


class PaymentGateway(Protocol):
    name: str

    def redirect_url(self, payment: Payment, *, client_ip: str, now: datetime) -> str: ...

    def read_callback(self, fields: dict[str, str]) -> GatewayResult: ...

    def query(self, payment: Payment, *, now: datetime) -> GatewayResult: ...


def _vn_time(instant: datetime) -> str:
    return instant.astimezone(VN).strftime("%Y%m%d%H%M%S")


class VNPayGateway:
    name = "vnpay"
    version = "2.1.0"

    def __init__(self, *, pay_url: str, api_url: str, tmn_code: str, hash_secret: str, return_url: str,
                 expire_minutes: int, timeout: float) -> None:
        self.pay_url, self.api_url, self.tmn_code, self.secret = pay_url, api_url, tmn_code, hash_secret
        self.return_url, self.expire_minutes, self.timeout = return_url, expire_minutes, timeout

    def redirect_url(self, payment: Payment, *, client_ip: str, now: datetime) -> str:
        fields = {
            "vnp_Version": self.version, "vnp_Command": "pay", "vnp_TmnCode": self.tmn_code,
            "vnp_Amount": vnpay.to_gateway_amount(payment.amount), "vnp_CurrCode": "VND",
            "vnp_TxnRef": payment.txn_ref, "vnp_OrderInfo": payment.order_info, "vnp_OrderType": "other",
            "vnp_Locale": "vn", "vnp_ReturnUrl": self.return_url, "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": _vn_time(now), "vnp_ExpireDate": _vn_time(now + timedelta(minutes=self.expire_minutes)),
        }
        return f"{self.pay_url}?{vnpay.signed_query(fields, self.secret)}"

    def read_callback(self, fields: dict[str, str]) -> GatewayResult:
        if not vnpay.verify(fields, self.secret) or fields.get("vnp_TmnCode") != self.tmn_code:
            raise InvalidSignature("the vnp_SecureHash does not match the fields (or another merchant's code)")
        paid = fields.get("vnp_ResponseCode") == vnpay.SUCCESS and fields.get("vnp_TransactionStatus") == vnpay.SUCCESS
        return GatewayResult(
            txn_ref=fields.get("vnp_TxnRef", ""), state="paid" if paid else "failed",
            amount=vnpay.from_gateway_amount(fields.get("vnp_Amount")),
            transaction_no=fields.get("vnp_TransactionNo", ""),
            bank_code=fields.get("vnp_BankCode", ""), response_code=fields.get("vnp_ResponseCode", ""), fields=fields,
        )

    def query(self, payment: Payment, *, now: datetime) -> GatewayResult:
        """querydr: the gateway's word on a transaction. Never raises for a gateway or network
        failure: the answer is then "pending" (ask again next time)."""
        request = {
            "vnp_RequestId": secrets.token_hex(16), "vnp_Version": self.version, "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code, "vnp_TxnRef": payment.txn_ref, "vnp_OrderInfo": payment.order_info,
            "vnp_TransactionDate": _vn_time(payment.gateway_created_at or payment.created_at),
            "vnp_CreateDate": _vn_time(now), "vnp_IpAddr": "127.0.0.1",
        }
        request["vnp_SecureHash"] = vnpay.pipe_hash(request, vnpay.QUERY_REQUEST_FIELDS, self.secret)
        body = json.dumps(request).encode()
        http_request = urllib.request.Request(self.api_url, data=body, method="POST",
                                              headers={"Content-Type": "application/json"})
        pending = GatewayResult(txn_ref=payment.txn_ref, state="pending")
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
        except (OSError, http.client.HTTPException, urllib.error.URLError, ValueError) as exc:
            logger.warning("payment query %s failed: %s", payment.txn_ref, exc)
            return pending
        if not isinstance(answer, dict):
            return pending
        expected = vnpay.pipe_hash(answer, vnpay.QUERY_RESPONSE_FIELDS, self.secret)
        if str(answer.get("vnp_SecureHash", "")).lower() != expected or answer.get("vnp_TxnRef") != payment.txn_ref:
            logger.warning("payment query %s: the gateway's answer is not signed correctly", payment.txn_ref)
            return GatewayResult(txn_ref=payment.txn_ref, state="pending", fields=answer)
        code, status = answer.get("vnp_ResponseCode"), answer.get("vnp_TransactionStatus")
        if code == "91":  # no such transaction: the applicant never reached the gateway's page
            state = "unknown"
        elif code != vnpay.SUCCESS:
            state = "pending"
        elif status == vnpay.SUCCESS:
            state = "paid"
        elif status == "01":  # not finished yet
            state = "pending"
        else:
            state = "failed"
        return GatewayResult(
            txn_ref=payment.txn_ref, state=state, amount=vnpay.from_gateway_amount(answer.get("vnp_Amount")),
            transaction_no=str(answer.get("vnp_TransactionNo", "")), bank_code=str(answer.get("vnp_BankCode", "")),
            response_code=str(status or code or ""), fields=answer,
        )


def get_gateway() -> PaymentGateway | None:
    name = settings.PAYMENT_GATEWAY
    if not name:
        return None
    if name == "vnpay":
        return VNPayGateway(
            pay_url=settings.VNPAY_PAY_URL, api_url=settings.VNPAY_API_URL, tmn_code=settings.VNPAY_TMN_CODE,
            hash_secret=settings.VNPAY_HASH_SECRET, return_url=settings.PAYMENT_RETURN_URL
            or settings.PUBLIC_BASE_URL.rstrip("/") + "/thanh-toan/ket-qua/",
            expire_minutes=settings.PAYMENT_EXPIRE_MINUTES, timeout=settings.PAYMENT_TIMEOUT,
        )
    raise ImproperlyConfigured(f"PAYMENT_GATEWAY={name!r}: only 'vnpay' (or empty) is known.")
