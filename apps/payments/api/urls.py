from django.urls import path

from .views import DossierPaymentView, PaymentCallbackView

urlpatterns = [
    path("dossiers/<int:pk>/payment/", DossierPaymentView.as_view(), name="dossier-payment"),
    path("payments/callback/", PaymentCallbackView.as_view(), name="payment-callback"),
]
