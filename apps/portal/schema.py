"""OpenAPI description of the portal's HMAC authentication (loaded by PortalConfig.ready)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PortalSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "apps.portal.auth.PortalSignatureAuthentication"
    name = "portalSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Portal-Signature",
            "description": (
                "HMAC-SHA256 of `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nhex(sha256(body))` with the key's secret, "
                "hex; sent with `X-Portal-Key-Id` and `X-Portal-Timestamp` (unix seconds, at most 5 minutes "
                "off). Each signature is accepted once."
            ),
        }
