from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "apps.documents"
    label = "documents"
    verbose_name = "One-stop documents (PDF forms)"

    def ready(self) -> None:
        from apps.dossiers.sinks import register_sink

        from .services import document_mail_sink

        register_sink("documents.mail", document_mail_sink, position=30)
