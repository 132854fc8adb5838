"""The VNPay (2.1.0) signing rules, framework-free: the signed-redirect + IPN shape that Vietnamese
payment gateways (VNPay, the national payment platform) use.

* A payment request is a redirect to the gateway's payment page whose query holds `vnp_*` fields,
  sorted by name, each value form-encoded (`quote_plus`), joined with `&`, and signed:
  `vnp_SecureHash = hex(HMAC-SHA512(hash secret, that query string))`.
* The gateway answers the same way: the browser's return URL and its server-to-server IPN carry
  signed `vnp_*` fields (the hash and `vnp_SecureHashType` themselves are not signed).
* Amounts are in VND times 100 (`vnp_Amount=20000000` is 200 000 đồng).
* The transaction query (`querydr`) is a JSON POST whose hash covers fixed fields joined with `|`.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from urllib.parse import quote_plus

HASH_FIELD = "vnp_SecureHash"
UNSIGNED = frozenset({HASH_FIELD, "vnp_SecureHashType"})
SUCCESS = "00"
#: Answers the gateway expects to its IPN (its "RspCode").
RSP_OK, RSP_NOT_FOUND, RSP_ALREADY, RSP_BAD_AMOUNT, RSP_BAD_SIGNATURE, RSP_ERROR = "00", "01", "02", "04", "97", "99"
RSP_MESSAGES = {
    RSP_OK: "Confirm Success", RSP_NOT_FOUND: "Order not found", RSP_ALREADY: "Order already confirmed",
    RSP_BAD_AMOUNT: "Invalid amount", RSP_BAD_SIGNATURE: "Invalid signature", RSP_ERROR: "Unknown error",
}
QUERY_REQUEST_FIELDS = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
                        "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
QUERY_RESPONSE_FIELDS = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
                         "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
                         "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
                         "vnp_PromotionAmount")


def hmac_sha512(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


def canonical_query(fields: Mapping[str, object]) -> str:
    """The signed text: the `vnp_*` fields but the hash, sorted by name, values form-encoded (empty
    ones included, as the gateway's IPN signs them)."""
    return "&".join(
        f"{name}={quote_plus(str(value))}"
        for name, value in sorted(fields.items())
        if name.startswith("vnp_") and name not in UNSIGNED and value is not None
    )


def sign(fields: Mapping[str, object], secret: str) -> str:
    return hmac_sha512(secret, canonical_query(fields))


def signed_query(fields: Mapping[str, object], secret: str) -> str:
    query = canonical_query(fields)
    return f"{query}&{HASH_FIELD}={hmac_sha512(secret, query)}"


def verify(fields: Mapping[str, object], secret: str) -> bool:
    given = str(fields.get(HASH_FIELD) or "")
    return bool(given) and hmac.compare_digest(given.lower(), sign(fields, secret))


def pipe_hash(fields: Mapping[str, object], names: Iterable[str], secret: str) -> str:
    return hmac_sha512(secret, "|".join(str(fields.get(name, "") or "") for name in names))


def to_gateway_amount(amount: Decimal | int) -> int:
    """VND → the gateway's unit (VND × 100); whole đồng only."""
    value = Decimal(amount)
    if value != value.to_integral_value() or value <= 0:
        raise ValueError(f"{amount} is not a positive whole number of đồng")
    return int(value) * 100


def from_gateway_amount(raw: object) -> Decimal | None:
    text = str(raw or "").strip()
    if not text.isascii() or not text.isdigit() or int(text) % 100:
        return None
    return Decimal(int(text) // 100)
