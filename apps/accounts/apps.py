from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  (registers the OpenAPI extension)
            signals,  # noqa: F401  (role and membership changes revoke tokens)
        )
