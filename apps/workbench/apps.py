from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "apps.workbench"
    verbose_name = "Bàn làm việc một cửa"
