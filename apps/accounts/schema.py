"""OpenAPI description of our JWT authentication (a subclass of simplejwt's)."""
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RolesJWTScheme(SimpleJWTScheme):
    target_class = "apps.accounts.tokens.RolesJWTAuthentication"
    name = "jwtAuth"
