"""JWTs that carry the user's roles, so a request needs no query to learn them.

A role removed by an administrator stays in tokens already issued until they expire
(JWT_ACCESS_MINUTES, 15 by default); agency scope is still read from the database per request.
"""
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.tokens import RefreshToken

ROLES_CLAIM = "roles"


def token_for(user) -> RefreshToken:
    token = RefreshToken.for_user(user)
    token[ROLES_CLAIM] = sorted(user.role_names)
    return token


class RolesTokenObtainPairSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        return token_for(user)


class RolesJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        roles = validated_token.get(ROLES_CLAIM)
        if isinstance(roles, list):
            user.__dict__["role_names"] = frozenset(roles)  # fills User.role_names' cache
        return user
