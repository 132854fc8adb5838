from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers

from apps.common.fields import CharField, EmailField, RegexField
from onestop.identity import normalise_id_number

from ..models import AgencyMembership, ApplicantType, User

USERNAME_TAKEN = "This username is taken."


class MembershipSerializer(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = AgencyMembership
        fields = ("agency", "agency_name", "include_subtree", "title")


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    memberships = MembershipSerializer(many=True, read_only=True)
    id_verified = serializers.SerializerMethodField(
        help_text="The ID number was verified by the national identity provider (OpenID Connect sign-in)")

    class Meta:
        model = User
        fields = (
            "id", "username", "full_name", "email", "phone", "applicant_type", "id_number", "id_verified",
            "language",
            "roles", "memberships",
        )

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.role_names)

    def get_id_verified(self, user: User) -> bool:
        from apps.identity.services import id_number_verified  # apps/identity owns the claim

        return id_number_verified(user)


class ApplicantRegisterSerializer(serializers.Serializer):
    username = RegexField(r"^[\w.@+-]{3,150}$")
    password = CharField(write_only=True, min_length=8, max_length=128)
    full_name = CharField(max_length=255)
    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices)
    id_number = RegexField(r"^[0-9A-Za-z.:\- ]{6,24}$", help_text=(
        "Citizens: CCCD (12 digits), CMND (9 digits) or passport with its country, e.g. VN:B1234567"))
    email = EmailField(required=False, allow_blank=True)
    phone = RegexField(r"^\+?[0-9 ]{8,20}$", required=False, allow_blank=True)
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES, required=False, default=settings.LANGUAGE_CODE,
        help_text="The language e-mails and SMS are written in (default Vietnamese).",
    )

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError(USERNAME_TAKEN, code="unique")
        return value

    def validate_password(self, value: str) -> str:
        validate_password(value)
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs.get("applicant_type") == ApplicantType.CITIZEN:  # one account per citizen ID number
            from apps.identity.services import TAKEN, id_number_in_use

            try:
                number = normalise_id_number(attrs["id_number"])
            except ValueError as exc:
                raise serializers.ValidationError({"id_number": [str(exc)]}, code="invalid") from exc
            if id_number_in_use(number):
                raise serializers.ValidationError({"id_number": [TAKEN]}, code="unique")
        elif len(attrs.get("id_number", "")) > 20:
            raise serializers.ValidationError({"id_number": ["At most 20 characters."]}, code="max_length")
        return attrs


class StaffMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")
    roles = serializers.SerializerMethodField()

    class Meta:
        model = AgencyMembership
        fields = ("username", "full_name", "roles", "include_subtree", "title")

    def get_roles(self, membership: AgencyMembership) -> list[str]:
        return sorted(membership.user.role_names)
