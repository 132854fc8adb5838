from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = "Online payment (gateway)"

    def ready(self) -> None:
        from apps.dossiers import services as dossier_services

        from .services import payment_open

        # request_payment opens a payment at the gateway, in its own transaction (apps/dossiers
        # knows only the hook, not this app).
        if payment_open not in dossier_services.PAYMENT_REQUESTED_HOOKS:
            dossier_services.PAYMENT_REQUESTED_HOOKS.append(payment_open)
