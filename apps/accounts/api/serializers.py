from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers

from apps.common.fields import CharField, EmailField, RegexField

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

    class Meta:
        model = User
        fields = (
            "id", "username", "full_name", "email", "phone", "applicant_type", "id_number",
            "roles", "memberships",
        )

    def get_roles(self, user: User) -> list[str]:
        return sorted(user.role_names)


class ApplicantRegisterSerializer(serializers.Serializer):
    username = RegexField(r"^[\w.@+-]{3,150}$")
    password = CharField(write_only=True, min_length=8, max_length=128)
    full_name = CharField(max_length=255)
    applicant_type = serializers.ChoiceField(choices=ApplicantType.choices)
    id_number = RegexField(r"^[0-9A-Za-z.\-]{6,20}$")
    email = EmailField(required=False, allow_blank=True)
    phone = RegexField(r"^\+?[0-9 ]{8,20}$", required=False, allow_blank=True)

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError(USERNAME_TAKEN, code="unique")
        return value

    def validate_password(self, value: str) -> str:
        validate_password(value)
        return value


class StaffMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.full_name")
    roles = serializers.SerializerMethodField()

    class Meta:
        model = AgencyMembership
        fields = ("username", "full_name", "roles", "include_subtree", "title")

    def get_roles(self, membership: AgencyMembership) -> list[str]:
        return sorted(membership.user.role_names)
