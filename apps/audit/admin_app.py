"""django.contrib.admin with our site class (kept apart from sites.py: an AppConfig module is
imported before the models are ready)."""
from django.contrib.admin.apps import AdminConfig


class AuditedAdminConfig(AdminConfig):
    default_site = "apps.audit.sites.AuditedAdminSite"
