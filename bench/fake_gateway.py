"""A small stand-in for a VNPay-style payment gateway (tests, `make run` trials), on loopback.

    .venv/bin/python bench/fake_gateway.py [--port 8766] [--tmn-code ONESTOP1] [--secret s3cret]
        --ipn-url http://127.0.0.1:8000/api/v1/payments/callback/

then run onestop with PAYMENT_GATEWAY=vnpay VNPAY_PAY_URL=http://127.0.0.1:8766/paymentv2/vpcpay.html
VNPAY_API_URL=http://127.0.0.1:8766/merchant_webapi/api/transaction VNPAY_TMN_CODE=… VNPAY_HASH_SECRET=….

Written from the gateway's documented protocol with the standard library only (it does not import
onestop's signing code, so a mistake there is not mirrored here):

    GET  /paymentv2/vpcpay.html?vnp_*…&vnp_SecureHash=…   the payment page: checks the signature, the
         merchant code and the expiry, records the order (txn ref, amount) and answers 200 (a page) —
         or 400 with the reason. `pay(txn_ref, …)` then plays the applicant's choice.
    POST /merchant_webapi/api/transaction                 querydr (JSON, `|`-joined HMAC-SHA512)

In-process: FakeGateway(...).start(); .pay(txn_ref, outcome="paid"|"cancelled", send_ipn=True,
amount=None) → the browser's signed return query; .ipn_fields(txn_ref) → the signed IPN fields;
.orders, .stop().
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import threading
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode, urlsplit

GMT7 = timezone(timedelta(hours=7))
QUERY_REQUEST = ("vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
                 "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo")
QUERY_RESPONSE = ("vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef",
                  "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
                  "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount")


def _hmac(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha512).hexdigest()


def _query_hash(secret: str, fields: dict[str, Any]) -> str:
    """VNPay's sample: vnp_ fields but the hash ones, sorted, `key=quote_plus(value)` joined by `&`."""
    items = sorted((k, v) for k, v in fields.items()
                   if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType"))
    return _hmac(secret, "&".join(f"{k}={quote_plus(str(v))}" for k, v in items))


class FakeGateway:
    def __init__(self, *, tmn_code: str, secret: str, ipn_url: str = "", host: str = "127.0.0.1", port: int = 0):
        self.tmn_code, self.secret, self.ipn_url = tmn_code, secret, ipn_url
        self.host, self.port = host, port
        self.lock = threading.Lock()
        self.orders: dict[str, dict[str, Any]] = {}  # txn ref -> order
        self.page_errors: list[str] = []
        self.queries: list[dict[str, Any]] = []
        self.server: ThreadingHTTPServer | None = None
        self.counter = 14000000

    # --- running -----------------------------------------------------------------------------------
    def start(self) -> FakeGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/paymentv2/vpcpay.html":
                    return self._answer(404, b"not found", "text/plain")
                error = gateway.open_order(dict(parse_qsl(parts.query, keep_blank_values=True)))
                if error:
                    return self._answer(400, error.encode(), "text/plain; charset=utf-8")
                return self._answer(200, "<html><body>Cổng thanh toán (giả lập)</body></html>".encode(),
                                    "text/html; charset=utf-8")

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/merchant_webapi/api/transaction":
                    return self._answer(404, b"not found", "text/plain")
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    request = json.loads(raw)
                except ValueError:
                    return self._answer(400, b"bad json", "text/plain")
                answer = gateway.querydr(request)
                return self._answer(200, json.dumps(answer).encode(), "application/json")

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- the payment page ----------------------------------------------------------------------------
    def open_order(self, fields: dict[str, str]) -> str:
        """'' when the redirect is acceptable (and the order recorded), else why not."""
        if not hmac.compare_digest(fields.get("vnp_SecureHash", "").lower(), _query_hash(self.secret, fields)):
            error = "invalid signature"
        elif fields.get("vnp_TmnCode") != self.tmn_code:
            error = "unknown merchant"
        elif not fields.get("vnp_Amount", "").isdigit() or int(fields["vnp_Amount"]) % 100:
            error = "invalid amount"
        elif datetime.strptime(fields.get("vnp_ExpireDate", "19700101000000"), "%Y%m%d%H%M%S").replace(
                tzinfo=GMT7) < datetime.now(GMT7):
            error = "expired"
        else:
            error = ""
        if error:
            self.page_errors.append(error)
            return error
        with self.lock:
            order = self.orders.get(fields["vnp_TxnRef"])
            if order is not None and order["state"] != "open":
                self.page_errors.append("duplicate txn ref")
                return "duplicate txn ref"
            self.orders[fields["vnp_TxnRef"]] = {
                "amount": int(fields["vnp_Amount"]), "order_info": fields.get("vnp_OrderInfo", ""),
                "return_url": fields.get("vnp_ReturnUrl", ""), "create_date": fields.get("vnp_CreateDate", ""),
                "state": "open", "transaction_no": "", "pay_date": "",
            }
        return ""

    def _result_fields(self, txn_ref: str, amount: int | None = None) -> dict[str, str]:
        order = self.orders[txn_ref]
        paid = order["state"] == "paid"
        fields = {
            "vnp_TmnCode": self.tmn_code, "vnp_Amount": str(order["amount"] if amount is None else amount),
            "vnp_BankCode": "NCB", "vnp_BankTranNo": f"VNP{order['transaction_no']}", "vnp_CardType": "ATM",
            "vnp_OrderInfo": order["order_info"], "vnp_PayDate": order["pay_date"],
            "vnp_ResponseCode": "00" if paid else "24", "vnp_TransactionNo": order["transaction_no"],
            "vnp_TransactionStatus": "00" if paid else "02", "vnp_TxnRef": txn_ref,
        }
        fields["vnp_SecureHashType"] = "HmacSHA512"
        fields["vnp_SecureHash"] = _query_hash(self.secret, fields)
        return fields

    def pay(self, txn_ref: str, *, outcome: str = "paid", send_ipn: bool = True,
            amount: int | None = None) -> tuple[str, dict | None]:
        """The applicant pays (or cancels) on the gateway's page. Returns the browser's return URL
        query string and the merchant's answer to the IPN (None when not sent)."""
        with self.lock:
            order = self.orders[txn_ref]
            assert order["state"] == "open", f"{txn_ref} is {order['state']}"
            self.counter += 1
            order["state"] = "paid" if outcome == "paid" else "cancelled"
            order["transaction_no"] = str(self.counter)
            order["pay_date"] = datetime.now(GMT7).strftime("%Y%m%d%H%M%S")
        fields = self._result_fields(txn_ref, amount)
        answer = self.send_ipn(fields) if send_ipn else None
        return urlencode(fields), answer

    def ipn_fields(self, txn_ref: str, amount: int | None = None) -> dict[str, str]:
        return self._result_fields(txn_ref, amount)

    def send_ipn(self, fields: dict[str, str]) -> dict:
        """POSTs the signed IPN to the merchant, as a form; returns its JSON answer."""
        request = urllib.request.Request(self.ipn_url, data=urlencode(fields).encode(), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    # --- querydr -------------------------------------------------------------------------------------
    def querydr(self, request: dict[str, Any]) -> dict[str, Any]:
        self.queries.append(request)
        expected = _hmac(self.secret, "|".join(str(request.get(k, "")) for k in QUERY_REQUEST))
        order = self.orders.get(str(request.get("vnp_TxnRef")))
        if not hmac.compare_digest(str(request.get("vnp_SecureHash", "")).lower(), expected):
            code, message = "97", "Invalid Checksum"
        elif request.get("vnp_TmnCode") != self.tmn_code:
            code, message = "02", "Merchant is not valid"
        elif order is None:
            code, message = "91", "Transaction not found"
        else:
            code, message = "00", "QueryDR Success"
        status = {"paid": "00", "cancelled": "02", "open": "01"}.get(order["state"], "") if order and code == "00" \
            else ""
        known = order or {"amount": "", "pay_date": "", "transaction_no": "", "order_info": ""}
        answer = {
            "vnp_ResponseId": request.get("vnp_RequestId", ""), "vnp_Command": "querydr", "vnp_ResponseCode": code,
            "vnp_Message": message, "vnp_TmnCode": self.tmn_code, "vnp_TxnRef": request.get("vnp_TxnRef", ""),
            "vnp_Amount": str(known["amount"]), "vnp_BankCode": "NCB" if order else "",
            "vnp_PayDate": known["pay_date"], "vnp_TransactionNo": known["transaction_no"],
            "vnp_TransactionType": "01", "vnp_TransactionStatus": status, "vnp_OrderInfo": known["order_info"],
            "vnp_PromotionCode": "", "vnp_PromotionAmount": "",
        }
        answer["vnp_SecureHash"] = _hmac(self.secret, "|".join(str(answer.get(k, "")) for k in QUERY_RESPONSE))
        return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--tmn-code", default="ONESTOP1")
    parser.add_argument("--secret", default="s3cret")
    parser.add_argument("--ipn-url", default="http://127.0.0.1:8000/api/v1/payments/callback/")
    args = parser.parse_args()
    gateway = FakeGateway(tmn_code=args.tmn_code, secret=args.secret, ipn_url=args.ipn_url, port=args.port).start()
    print(f"fake gateway on {gateway.url} (Ctrl-C stops it)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        gateway.stop()


if __name__ == "__main__":
    main()
