"""The applicant's browser: the payment link (a fresh signed redirect to the gateway) and the page
the gateway sends the browser back to. Only the gateway's IPN (or reconciliation) settles a payment:
the return page shows the state, it changes nothing."""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.common.throttling import client_ip

from .gateways import InvalidSignature, get_gateway
from .models import GatewayMessage, Payment, PaymentStatus


@require_GET
def pay(request: HttpRequest, token: str) -> HttpResponse:
    from .services import payment_start

    redirect = payment_start(token=token[:64], client_ip=client_ip(request))
    if redirect is None:
        raise Http404("No such payment link.")
    if redirect.url is None:
        return render(request, "payments/result.html", {"payment": redirect.payment, "closed": True})
    return HttpResponseRedirect(redirect.url)


@require_GET
def returned(request: HttpRequest) -> HttpResponse:
    fields = {k: v[:1000] for k, v in list(request.GET.items())[:60]}
    gateway = get_gateway()
    payment, verified, gateway_says = None, False, ""
    if gateway is not None and fields:
        try:
            result = gateway.read_callback(fields)
        except InvalidSignature:
            GatewayMessage.objects.create(source=GatewayMessage.Source.RETURN, fields=fields, outcome="bad_signature",
                                          txn_ref=fields.get("vnp_TxnRef", "")[:100])
        else:
            verified, gateway_says = True, result.state
            payment = Payment.objects.select_related("dossier").filter(txn_ref=result.txn_ref).first()
            GatewayMessage.objects.create(payment=payment, source=GatewayMessage.Source.RETURN,
                                          txn_ref=result.txn_ref[:100], fields=fields, outcome=result.state)
    context = {"payment": payment, "verified": verified, "gateway_says": gateway_says,
               "confirmed": payment is not None and payment.status == PaymentStatus.PAID}
    response = render(request, "payments/result.html", context, status=200 if verified else 400)
    response["Cache-Control"] = "no-store"
    return response
