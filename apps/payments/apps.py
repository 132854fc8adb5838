from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "apps.payments"
    label = "payments"
    verbose_name = "Online payment (gateway)"

    def ready(self) -> None:
        from apps.dossiers.sinks import register_sink

        from .services import payment_sink

        # request_payment opens a payment at the gateway, in the event's transaction (after the
        # portal outbox, the statistics and the document mail).
        register_sink("payments.open", payment_sink, position=40)
