from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("tiep-nhan/", views.register, name="register"),
    path("ho-so/<int:pk>/", views.dossier_page, name="dossier"),
    path("ho-so/<int:pk>/thao-tac/<str:action>/", views.dossier_act, name="act"),
    path("ho-so/<int:pk>/tai-lieu/<int:document_id>/", views.document_file, name="document"),
    path("ho-so/<int:pk>/bieu-mau/<str:form>.pdf", views.form_pdf, name="form-pdf"),
    path("ho-so/<int:pk>/in/<str:form>/", views.print_form, name="print"),
    path("ho-so/<int:pk>/danh-gia/", views.kiosk, name="kiosk"),
]
