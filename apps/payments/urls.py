from django.urls import path

from .views import pay, returned

urlpatterns = [
    path("thanh-toan/ket-qua/", returned, name="payment-return"),
    path("thanh-toan/<str:token>/", pay, name="payment-pay"),
]
