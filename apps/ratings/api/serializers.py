from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.common.fields import CharField, NFCCharField

from ..models import Criterion, Level, Rating


class RatingInputSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=Level.choices)
    criteria = serializers.DictField(
        child=serializers.ChoiceField(choices=Level.choices), required=False, default=dict,
        help_text=f"Per-criterion level; criteria: {', '.join(Criterion.values)}",
    )
    comment = NFCCharField(multiline=True, max_length=2000, required=False, allow_blank=True, default="")

    def validate_criteria(self, value):
        unknown = sorted(set(value) - set(Criterion.values))
        if unknown:
            raise serializers.ValidationError(_("Unknown criteria: %(names)s.") % {"names": ", ".join(unknown)},
                                              code="invalid_choice")
        return value


class KioskRatingSerializer(RatingInputSerializer):
    code = CharField(max_length=64)
    id_number = CharField(max_length=20)


class RatingSerializer(serializers.ModelSerializer):
    dossier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    procedure = serializers.SlugRelatedField(slug_field="code", read_only=True)
    clerk = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Rating
        fields = ("id", "dossier", "agency", "procedure", "clerk", "level", "criteria", "comment", "source",
                  "created_at")
        read_only_fields = fields
