from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("register/", views.register, name="register"),
    path("dossiers/<int:pk>/", views.dossier_page, name="dossier"),
    path("dossiers/<int:pk>/actions/<str:action>/", views.dossier_act, name="act"),
    path("dossiers/<int:pk>/documents/<int:document_id>/", views.document_file, name="document"),
    path("dossiers/<int:pk>/forms/<str:form>.pdf", views.form_pdf, name="form-pdf"),
    path("dossiers/<int:pk>/print/<str:form>/", views.print_form, name="print"),
    path("dossiers/<int:pk>/rating/", views.kiosk, name="kiosk"),
]
