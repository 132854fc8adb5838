"""A real OpenID provider on loopback for the tests, built with Authlib's server components (its
Flask integration): discovery, JWKS, the authorization endpoint (the signed-in citizen consents
at once), the token endpoint with client authentication, PKCE (S256) and signed ID tokens (RS256).

The test chooses who is signed in at the provider (`provider.citizen = {...}`) and can make it
misbehave the ways a client must notice: sign ID tokens with a key that is not in its JWKS
(`rogue_key`), or put other claims into them (`override_claims`: another audience, nonce, issuer).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in ("openid", "profile", "email"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None

    def is_expired(self):
        return self.auth_time + 300 < time.time()


class OpenIdProvider:
    def __init__(self, *, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"},
                                       private=True)
        self.rogue_key: RSAKey | None = None  # signs ID tokens instead of `key` (same kid, not in the JWKS)
        self.override_claims: dict[str, Any] = {}
        self.citizen: dict[str, Any] = {"sub": "vneid-sub-0001", "name": "Nguyễn Văn Bảy", "id_number": "001088000777"}
        self.client = Client(client_id, client_secret, [redirect_uri])
        self.codes: dict[str, Code] = {}
        self.token_requests = 0
        self.app = self._build_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> OpenIdProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("test-openid-provider")

        class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = Code(
                    code=code, client_id=request.client.client_id, redirect_uri=request.payload.redirect_uri,
                    scope=request.scope, user=dict(request.user), nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code, client):
                item = provider.codes.get(code)
                if item and item.client_id == client.client_id and not item.is_expired():
                    return item
                return None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class ProviderOpenIDCode(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.rogue_key or provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.get_client_id()], "exp": int(time.time()) + 600}

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key-1"}

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user["sub"], name=user.get("name"))
                info["id_number"] = user.get("id_number")
                info.update(provider.override_claims)  # misbehaviour on request (after nonce and aud)
                return info

        def query_client(client_id):
            return provider.client if client_id == provider.client.client_id else None

        def save_token(token, request):
            provider.token_requests += 1

        server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
        server.register_grant(AuthorizationCodeGrant, [ProviderOpenIDCode(require_nonce=True),
                                                       CodeChallenge(required=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify({
                "issuer": provider.issuer, "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token", "jwks_uri": f"{provider.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "profile"],
            })

        @app.get("/jwks")
        def jwks():
            return jsonify({"keys": [provider.key.as_dict(private=False)]})

        @app.get("/authorize")
        def authorize():
            # The citizen is signed in at the provider and consents: straight back with a code.
            return server.create_authorization_response(grant_user=dict(provider.citizen))

        @app.post("/token")
        def token():
            return server.create_token_response()

        return app
